"""One device, one poll: the SNMP requests of a poll and their assembly into a snapshot.

The mapping and the refresh decisions are pure functions (ifmib, hostres, label_cache); this
module only orders the requests, isolates their failures and keeps the per-device state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

from netwarden.agent.polling import hostres, ifmib
from netwarden.agent.polling.ifmib import Scalars, Walk
from netwarden.agent.polling.interface_table import IfLabels
from netwarden.agent.polling.label_cache import (
    LabelCache,
    provisional_labels,
    refresh_trigger,
)
from netwarden.agent.polling.snapshot import (
    DeviceCounters,
    DeviceInfo,
    DeviceSnapshot,
    StorageSample,
)
from netwarden.agent.snmp.types import Oid, Reason, SnmpError, SnmpSession

log = logging.getLogger(__name__)

T = TypeVar("T")

# When the first request of a poll fails like this the device is not there (or will not talk
# to us): the other requests would only burn the poll's deadline failing the same way.
_DEVICE_GONE: Final = frozenset({Reason.timeout, Reason.refused, Reason.unreachable, Reason.auth})


@dataclass
class _PollData:
    """What one poll gathered so far; survives the deadline cancelling the requests."""

    answered: bool = False
    errors: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    scalars: Scalars | None = None
    if_walk: Walk | None = None
    ifx_walk: Walk | None = None
    labels: Mapping[int, IfLabels] = field(default_factory=dict)
    storage: list[StorageSample] = field(default_factory=list)
    processor_load: dict[int, int] = field(default_factory=dict)


class DevicePoller:
    """Polls one device over its :class:`SnmpSession`, keeping the label cache and the running
    :attr:`counters` between polls. A poll never raises for a device's failures."""

    def __init__(
        self,
        info: DeviceInfo,
        session: SnmpSession,
        *,
        label_ttl: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.info = info
        self.counters = DeviceCounters()
        self._session = session
        self._label_ttl = label_ttl
        self._clock = clock
        self._cache = LabelCache()
        self._last_success: float | None = None

    def if_names(self) -> dict[int, str]:
        """ifIndex -> ifName from the label cache (for events: a trap names only the ifIndex)."""
        return {i: labels.name for i, labels in self._cache.entries.items() if labels.name}

    # The deadline is the scheduler's per-device budget and part of the agreed API.
    async def poll(self, *, timeout: float) -> DeviceSnapshot:  # noqa: ASYNC109
        """Poll the device once, within ``timeout`` seconds. Whatever answered before a
        failure or the deadline is in the snapshot; each failure adds its reason."""
        started = self._clock()
        loop = asyncio.get_running_loop()
        began = loop.time()
        data = _PollData()
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                await self._collect(data)
        except TimeoutError:
            if not deadline.expired():
                raise
            self._fail(data, Reason.timeout, f"poll deadline of {timeout:g} s exceeded")
        return self._snapshot(data, started, loop.time() - began)

    async def _collect(self, data: _PollData) -> None:
        scalars = self._session.get(ifmib.SCALAR_OIDS)
        got = await self._try(data, "sysUpTime/ifNumber/ifTableLastChange", scalars)
        if got is None and data.errors[-1] in _DEVICE_GONE:
            return
        data.scalars = None if got is None else ifmib.parse_scalars(got)
        data.if_walk = await self._walk(data, "ifTable", ifmib.HOT_IF_COLUMNS)
        data.ifx_walk = await self._walk(data, "ifXTable", ifmib.HOT_IFX_COLUMNS)
        await self._labels(data)
        if self.info.role == "host":
            await self._host_resources(data)

    async def _labels(self, data: _PollData) -> None:
        """Decide on and run a refresh of the label cache; leaves this poll's labels in
        ``data.labels`` at every step, in case the deadline ends the poll mid-refresh."""
        walked = ifmib.hot_names(data.ifx_walk)
        now = self._clock()
        trigger = refresh_trigger(self._cache, data.scalars, walked, now=now, ttl=self._label_ttl)
        self._cache.note_uptime(None if data.scalars is None else data.scalars.sys_uptime)
        old = self._cache.entries
        if trigger is None:
            data.labels = old
            return
        refreshes = self.counters.label_refreshes
        refreshes[trigger.value] = refreshes.get(trigger.value, 0) + 1
        self._cache.begin(trigger)
        data.labels = provisional_labels({}, old, walked)
        if_labels = await self._walk(data, "ifTable labels", ifmib.LABEL_IF_COLUMNS)
        data.labels = provisional_labels(ifmib.parse_labels(if_labels, None), old, walked)
        ifx_labels = await self._walk(data, "ifXTable labels", ifmib.LABEL_IFX_COLUMNS)
        fresh = ifmib.parse_labels(if_labels, ifx_labels)
        if if_labels is None or ifx_labels is None:
            data.labels = provisional_labels(fresh, old, walked)
            return
        moved_all = self._cache.commit(fresh, data.scalars, now)
        data.labels = self._cache.entries  # packed: this poll's table shares it, not `fresh`
        for moved in moved_all:
            self.counters.renumbered += 1
            log.warning(
                "device %s: interface %s moved from ifIndex %d to ifIndex %d",
                self.info.device,
                moved.name,
                moved.old_index,
                moved.new_index,
            )

    async def _host_resources(self, data: _PollData) -> None:
        storage = await self._walk(data, "hrStorageTable", hostres.HR_STORAGE_COLUMNS)
        if storage is not None:
            data.storage = hostres.parse_storage(storage)
        load = await self._walk(data, "hrProcessorLoad", hostres.HR_PROCESSOR_COLUMNS)
        if load is not None:
            data.processor_load = hostres.parse_processor_load(load)

    async def _walk(self, data: _PollData, what: str, columns: tuple[Oid, ...]) -> Walk | None:
        return await self._try(data, what, self._session.walk_columns(columns))

    async def _try(self, data: _PollData, what: str, request: Awaitable[T]) -> T | None:
        """Await one request; a device failure becomes an error entry and ``None``."""
        try:
            result = await request
        except SnmpError as err:
            self._fail(data, err.reason, f"{what}: {err}")
            return None
        data.answered = True
        return result

    def _fail(self, data: _PollData, reason: Reason, message: str) -> None:
        data.errors.append(reason.value)
        data.messages.append(" ".join(message.split()))  # one line, whatever the client said
        self.counters.errors[reason.value] = self.counters.errors.get(reason.value, 0) + 1

    def _snapshot(self, data: _PollData, started: float, duration: float) -> DeviceSnapshot:
        rows, conflicts = ifmib.build_interfaces(data.if_walk, data.ifx_walk, data.labels)
        if conflicts:
            log.info(
                "device %s: ifIndex %s left out of this poll: ifName changed during the poll",
                self.info.device,
                ",".join(map(str, conflicts)),
            )
        if data.answered:
            self._last_success = started
        return DeviceSnapshot(
            info=self.info,
            started=started,
            duration=duration,
            up=data.answered,
            errors=data.errors,
            error_messages=data.messages,
            sys_uptime=None if data.scalars is None else data.scalars.sys_uptime,
            interfaces=rows,
            storage=data.storage,
            processor_load=data.processor_load,
            last_success=self._last_success,
        )
