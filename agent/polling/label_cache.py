"""Per-device cache of the slow-changing IF-MIB columns (ifName, ifDescr, ifAlias, ifHighSpeed).

Walking them every poll would roughly double the hot walk for columns that change a few times a
year; instead the cache is refreshed when the device tells us something changed. net-snmp leaves
ifNumber and ifTableLastChange alone when an interface is deleted, so the ifName walked with the
counters is compared with the cache as a last line of defence.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from netwarden.agent.polling.ifmib import Scalars
from netwarden.agent.polling.interface_table import IfLabels, label_name_matches, pack_labels


class Trigger(enum.StrEnum):
    """Why the labels were refreshed: the bounded label of the label-refresh counter."""

    initial = "initial"  # nothing cached yet (agent start, or no refresh has completed)
    reboot = "reboot"  # sysUpTime went backwards
    if_number = "if_number"  # ifNumber changed
    if_table_last_change = "if_table_last_change"  # ifTableLastChange changed
    if_name_mismatch = "if_name_mismatch"  # an ifName walked with the counters != the cache
    ttl = "ttl"  # the cache is older than the TTL


@dataclass(frozen=True)
class Renumbering:
    """An interface (identified by its ifName) found at another ifIndex after a refresh."""

    name: str
    old_index: int
    new_index: int


@dataclass
class LabelCache:
    """The labels of one device and what they were valid for."""

    # Packed (interface_table.PackedLabels): held from one refresh to the next, ~25,000 rows
    # in a 500-device agent; replaced whole by a refresh, never edited (polls' tables share it).
    entries: Mapping[int, IfLabels] = field(default_factory=dict)
    refreshed_at: float | None = None  # clock() of the last completed refresh
    if_number: int | None = None  # as of the last completed refresh
    if_table_last_change: int | None = None  # as of the last completed refresh
    last_sys_uptime: int | None = None  # as of the last poll that read it
    pending: Trigger | None = None  # a refresh that started but did not complete

    def note_uptime(self, sys_uptime: int | None) -> None:
        if sys_uptime is not None:
            self.last_sys_uptime = sys_uptime

    def begin(self, trigger: Trigger) -> None:
        """Remember the trigger until :meth:`commit`, so a failed refresh is retried next poll
        even though the condition (e.g. sysUpTime going backwards) will not show again."""
        self.pending = trigger

    def commit(
        self, entries: Mapping[int, IfLabels], scalars: Scalars | None, now: float
    ) -> list[Renumbering]:
        """Install a complete refresh; returns the interfaces that moved to another ifIndex."""
        moved = find_renumbering(self.entries, entries)
        self.entries = pack_labels(entries)
        self.refreshed_at = now
        self.pending = None
        # Unknown values keep the old ones: comparing against None would refresh for nothing.
        if scalars is not None and scalars.if_number is not None:
            self.if_number = scalars.if_number
        if scalars is not None and scalars.if_table_last_change is not None:
            self.if_table_last_change = scalars.if_table_last_change
        return moved


def refresh_trigger(
    cache: LabelCache,
    scalars: Scalars | None,
    walked_names: Mapping[int, str],
    *,
    now: float,
    ttl: float,
) -> Trigger | None:
    """Whether (and why) this poll must re-walk the label columns; ``None`` = the cache holds.

    ``scalars`` is this poll's GET (``None`` if it failed), ``walked_names`` the ifName column
    of this poll's counter walk. One trigger per refresh, the most telling one first.
    """
    if cache.refreshed_at is None:
        return Trigger.initial
    if cache.pending is not None:
        return cache.pending
    trigger = _scalar_trigger(cache, scalars)
    if trigger is not None:
        return trigger
    if names_disagree(cache.entries, walked_names):
        return Trigger.if_name_mismatch
    # A clock stepped backwards makes the age meaningless: refresh rather than trust it.
    if now - cache.refreshed_at >= ttl or now < cache.refreshed_at:
        return Trigger.ttl
    return None


def _scalar_trigger(cache: LabelCache, scalars: Scalars | None) -> Trigger | None:
    if scalars is None:
        return None
    uptime, previous = scalars.sys_uptime, cache.last_sys_uptime
    if uptime is not None and previous is not None and uptime < previous:
        return Trigger.reboot
    if scalars.if_number is not None and scalars.if_number != cache.if_number:
        return Trigger.if_number
    last_change = scalars.if_table_last_change
    if last_change is not None and last_change != cache.if_table_last_change:
        return Trigger.if_table_last_change
    return None


def names_disagree(entries: Mapping[int, IfLabels], walked_names: Mapping[int, str]) -> bool:
    """True if some walked ifIndex has another ifName in the cache (or is not cached at all)."""
    return any(not label_name_matches(entries, i, name) for i, name in walked_names.items())


def find_renumbering(old: Mapping[int, IfLabels], new: Mapping[int, IfLabels]) -> list[Renumbering]:
    """Interfaces whose ifName sits at another ifIndex in ``new`` than in ``old``. Empty and
    duplicated names identify nothing, so they are ignored."""
    before, after = _index_by_name(old), _index_by_name(new)
    return [
        Renumbering(name, before[name], index)
        for name, index in sorted(after.items(), key=lambda item: item[1])
        if name in before and before[name] != index
    ]


def _index_by_name(entries: Mapping[int, IfLabels]) -> dict[str, int]:
    seen: dict[str, int] = {}
    duplicated: set[str] = set()
    for index, labels in entries.items():
        if not labels.name:
            continue
        if labels.name in seen:
            duplicated.add(labels.name)
        seen[labels.name] = index
    return {name: index for name, index in seen.items() if name not in duplicated}


def provisional_labels(
    fresh: Mapping[int, IfLabels], old: Mapping[int, IfLabels], walked_names: Mapping[int, str]
) -> dict[int, IfLabels]:
    """Labels for a poll whose refresh did not complete: what the refresh did walk, completed
    from the old cache only where the ifName walked with the counters proves the old entry
    still describes the same interface (after a renumbering it would describe another)."""
    out = dict(fresh)
    for index, name in walked_names.items():
        prev = old.get(index)
        if prev is None or prev.name != name:
            continue
        cur = out.get(index, IfLabels())
        out[index] = IfLabels(
            name=cur.name if cur.name is not None else prev.name,
            descr=cur.descr if cur.descr is not None else prev.descr,
            alias=cur.alias if cur.alias is not None else prev.alias,
            high_speed=cur.high_speed if cur.high_speed is not None else prev.high_speed,
        )
    return out
