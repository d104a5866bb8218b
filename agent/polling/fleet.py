"""The devices one agent polls, built from its slice of the inventory, and their results.

A reload diffs the new slice against the running one: unchanged devices keep their poller
(and with it their label cache, v3 engine state and error totals), changed ones are rebuilt,
removed ones stop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from netwarden.agent.polling.poller import DevicePoller
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceInfo, DeviceSnapshot
from netwarden.agent.polling.targets import device_info, target_for
from netwarden.agent.snmp.types import SnmpSession, Target
from netwarden.errors import NetwardenError
from netwarden.inventory.model import Inventory

log = logging.getLogger(__name__)

SessionFactory = Callable[[Target], SnmpSession]


@dataclass
class PolledDevice:
    """One device under polling: how to reach it and what its last poll said."""

    info: DeviceInfo
    interval: float
    target: Target | None  # None when its credentials could not be resolved
    poller: DevicePoller | None
    session: SnmpSession | None
    counters: DeviceCounters = field(default_factory=DeviceCounters)
    latest: DeviceSnapshot | None = None
    setup_error: str = ""

    @property
    def totals(self) -> DeviceCounters:
        """Running totals: the poller's, or this device's own when it has no poller."""
        return self.poller.counters if self.poller is not None else self.counters

    async def poll(self, deadline: float) -> None:
        if self.poller is None:
            # A device whose secret cannot be read is still reported, as a failed device.
            self.counters.errors["credentials"] = self.counters.errors.get("credentials", 0) + 1
            self.latest = DeviceSnapshot(
                self.info,
                time.time(),
                0.0,
                up=False,
                errors=["credentials"],
                error_messages=[self.setup_error],
            )
            return
        self.latest = await self.poller.poll(timeout=deadline)


@dataclass(frozen=True)
class LinkEnd:
    """An inventory link endpoint on a device this agent polls (for netwarden_link_info)."""

    link: str
    kind: str
    device: str
    if_name: str


def plan_devices(inventory: Inventory, agent_id: str) -> dict[str, tuple[DeviceInfo, float]]:
    """The SNMP-polled devices of ``agent_id``: id -> (labels, interval)."""
    return {
        d.id: (device_info(inventory, d), d.snmp.interval)
        for d in inventory.devices_for(agent_id)
        if d.snmp is not None
    }


def link_ends(inventory: Inventory, agent_id: str) -> list[LinkEnd]:
    mine = {d.id for d in inventory.devices_for(agent_id)}
    ends = []
    for link in inventory.links:
        for end in (link.a, link.b):
            if end.device is not None and end.device in mine and end.interface is not None:
                ends.append(LinkEnd(link.id, link.kind, end.device, end.interface))
    return ends


def build_device(
    inventory: Inventory, device_id: str, interval: float, factory: SessionFactory
) -> PolledDevice:
    device = inventory.device(device_id)
    info = device_info(inventory, device)
    try:
        target = target_for(inventory, device)
    except NetwardenError as exc:
        log.warning("device %s: %s", device_id, exc)
        return PolledDevice(info, interval, None, None, None, setup_error=str(exc))
    session = factory(target)
    poller = DevicePoller(info, session)
    return PolledDevice(info, interval, target, poller, session)


def same_setup(old: PolledDevice, info: DeviceInfo, interval: float, target: Target | None) -> bool:
    """True when a reload leaves the device as it was (keep its poller and its state)."""
    return old.info == info and old.interval == interval and old.target == target
