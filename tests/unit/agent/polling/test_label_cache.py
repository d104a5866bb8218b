"""Label cache: each refresh trigger, renumbering detection, provisional labels."""

from __future__ import annotations

import pytest

from netwarden.agent.polling.ifmib import IfLabels, Scalars
from netwarden.agent.polling.label_cache import (
    LabelCache,
    Renumbering,
    Trigger,
    find_renumbering,
    provisional_labels,
    refresh_trigger,
)

TTL = 3600.0
ENTRIES = {1: IfLabels("Gi0/1", "GigabitEthernet0/1"), 2: IfLabels("Gi0/2", "GigabitEthernet0/2")}
NAMES = {1: "Gi0/1", 2: "Gi0/2"}


def warm_cache() -> LabelCache:
    """A cache refreshed at t=1000 with uptime 50_000, ifNumber 2, ifTableLastChange 500."""
    cache = LabelCache()
    cache.commit(ENTRIES, Scalars(50_000, 2, 500), now=1000.0)
    cache.note_uptime(50_000)
    return cache


def decide(
    cache: LabelCache, scalars: Scalars | None, names: dict[int, str] = NAMES, now: float = 1060.0
) -> Trigger | None:
    return refresh_trigger(cache, scalars, names, now=now, ttl=TTL)


def test_nothing_changed_keeps_the_cache() -> None:
    assert decide(warm_cache(), Scalars(56_000, 2, 500)) is None


def test_empty_cache_is_filled() -> None:
    assert decide(LabelCache(), Scalars(1, 2, 3)) is Trigger.initial


def test_uptime_going_backwards_is_a_reboot() -> None:
    assert decide(warm_cache(), Scalars(49_999, 2, 500)) is Trigger.reboot


def test_reboot_is_judged_against_the_last_poll_not_the_last_refresh() -> None:
    cache = warm_cache()
    cache.note_uptime(300_000)  # polls since the refresh saw the uptime grow
    assert decide(cache, Scalars(200_000, 2, 500)) is Trigger.reboot


def test_if_number_change() -> None:
    assert decide(warm_cache(), Scalars(56_000, 3, 500)) is Trigger.if_number


def test_if_table_last_change_change() -> None:
    assert decide(warm_cache(), Scalars(56_000, 2, 501)) is Trigger.if_table_last_change


def test_unimplemented_if_table_last_change_triggers_nothing() -> None:
    cache = LabelCache()
    cache.commit(ENTRIES, Scalars(50_000, 2, None), now=1000.0)
    assert decide(cache, Scalars(56_000, 2, None)) is None


def test_ttl_expiry_with_an_injected_clock() -> None:
    cache = warm_cache()
    assert decide(cache, Scalars(56_000, 2, 500), now=1000.0 + TTL - 1) is None
    assert decide(cache, Scalars(56_000, 2, 500), now=1000.0 + TTL) is Trigger.ttl


def test_clock_stepping_back_refreshes() -> None:
    assert decide(warm_cache(), Scalars(56_000, 2, 500), now=900.0) is Trigger.ttl


@pytest.mark.parametrize(
    "names",
    [{1: "Gi0/1", 2: "Gi0/7"}, {1: "Gi0/1", 2: "Gi0/2", 3: "Gi0/3"}],
    ids=["other-name", "unknown-index"],
)
def test_walked_ifname_disagreeing_with_the_cache(names: dict[int, str]) -> None:
    assert decide(warm_cache(), Scalars(56_000, 2, 500), names) is Trigger.if_name_mismatch


def test_a_deleted_interface_alone_is_no_mismatch() -> None:
    assert decide(warm_cache(), Scalars(56_000, 2, 500), {1: "Gi0/1"}) is None


def test_failed_get_leaves_the_name_check_and_ttl() -> None:
    cache = warm_cache()
    assert decide(cache, None) is None
    assert decide(cache, None, {1: "Gi0/9"}) is Trigger.if_name_mismatch


def test_one_trigger_per_refresh_most_telling_first() -> None:
    rebooted_and_renumbered = Scalars(100, 3, 7)
    assert decide(warm_cache(), rebooted_and_renumbered, {1: "x"}, now=1e9) is Trigger.reboot


def test_unfinished_refresh_is_retried_under_its_trigger() -> None:
    cache = warm_cache()
    cache.begin(Trigger.reboot)
    cache.note_uptime(100)  # the next poll no longer sees the uptime go backwards
    assert decide(cache, Scalars(6_100, 2, 500)) is Trigger.reboot
    cache.commit(ENTRIES, Scalars(6_100, 2, 500), now=1100.0)
    assert decide(cache, Scalars(12_100, 2, 500), now=1160.0) is None


def test_commit_keeps_known_values_when_the_get_failed() -> None:
    cache = warm_cache()
    cache.commit(ENTRIES, None, now=2000.0)
    assert (cache.if_number, cache.if_table_last_change, cache.refreshed_at) == (2, 500, 2000.0)


def test_renumbering_found_by_ifname() -> None:
    old = {1: IfLabels("Gi0/1"), 2: IfLabels("Gi0/2"), 3: IfLabels("Gi0/3")}
    new = {1: IfLabels("Gi0/2"), 2: IfLabels("Gi0/1"), 3: IfLabels("Gi0/3"), 4: IfLabels("Gi0/4")}
    assert find_renumbering(old, new) == [Renumbering("Gi0/2", 2, 1), Renumbering("Gi0/1", 1, 2)]


def test_commit_reports_renumbering() -> None:
    cache = warm_cache()
    moved = cache.commit({5: IfLabels("Gi0/1"), 2: IfLabels("Gi0/2")}, None, now=2000.0)
    assert moved == [Renumbering("Gi0/1", 1, 5)]


def test_empty_and_duplicated_names_identify_nothing() -> None:
    old = {1: IfLabels(""), 2: IfLabels("lo"), 3: IfLabels("lo"), 4: IfLabels(None)}
    new = {5: IfLabels(""), 6: IfLabels("lo"), 7: IfLabels(None)}
    assert find_renumbering(old, new) == []


def test_provisional_labels_reuse_the_old_entry_only_for_the_same_interface() -> None:
    old = {1: IfLabels("Gi0/1", "old descr 1", "uplink", 1000), 2: IfLabels("Gi0/2", "d2", "a2")}
    fresh = {1: IfLabels(None, "new descr 1"), 2: IfLabels(None, "new descr 2")}
    walked = {1: "Gi0/1", 2: "Gi0/5"}  # ifIndex 2 is another interface now
    assert provisional_labels(fresh, old, walked) == {
        1: IfLabels("Gi0/1", "new descr 1", "uplink", 1000),
        2: IfLabels(None, "new descr 2"),
    }


def test_provisional_labels_without_walked_names_use_fresh_data_only() -> None:
    old = {1: IfLabels("Gi0/1", "d", "a", 10)}
    assert provisional_labels({}, old, {}) == {}
