"""``netwarden poll``'s work: one poll of one device, and the table it prints."""

from __future__ import annotations

import asyncio

from netwarden.agent.polling.fleet import SessionFactory, build_device
from netwarden.agent.polling.snapshot import DeviceSnapshot, InterfaceSample
from netwarden.errors import UsageError
from netwarden.inventory.model import Inventory
from netwarden.output import render_table


def poll_device(inv: Inventory, device: str, factory: SessionFactory) -> DeviceSnapshot:
    """Poll ``device`` of ``inv`` once (a usage error if it is unknown or has no SNMP)."""
    try:
        found = inv.device(device)
    except KeyError:
        raise UsageError(f"no device {device!r} in the inventory") from None
    if found.snmp is None:
        raise UsageError(f"device {device!r} has no snmp block in the inventory")
    return asyncio.run(_poll_once(inv, device, found.snmp.interval, factory))


async def _poll_once(
    inv: Inventory, device: str, interval: float, factory: SessionFactory
) -> DeviceSnapshot:
    polled = build_device(inv, device, interval, factory)
    try:
        await polled.poll(min(interval * 0.9, 60.0))
    finally:
        if polled.session is not None:
            await polled.session.close()
    assert polled.latest is not None
    return polled.latest


def poll_table(snapshot: DeviceSnapshot) -> str:
    """The device's state and one row per interface, as ``netwarden poll`` prints them."""
    state = "up" if snapshot.up else "DOWN"
    errors = f"; errors: {', '.join(snapshot.error_messages)}" if snapshot.errors else ""
    head = (
        f"{snapshot.info.device} ({snapshot.info.role}, site {snapshot.info.site}): {state}, "
        f"polled in {snapshot.duration:.3f} s{errors}"
    )
    rows = [_row(i) for i in snapshot.interfaces]
    headers = ["ifIndex", "ifName", "oper", "admin", "Mb/s", "in octets", "out octets",
               "in err", "out err", "ifAlias"]  # fmt: skip
    return head + ("\n" + render_table(headers, rows) if rows else "")


def _row(i: InterfaceSample) -> list[object]:
    counters, gauges = i.counters, i.gauges
    return [
        i.if_index,
        i.if_name,
        gauges.get("ifOperStatus", ""),
        gauges.get("ifAdminStatus", ""),
        gauges.get("ifHighSpeed", ""),
        counters.get("ifHCInOctets", counters.get("ifInOctets", "")),
        counters.get("ifHCOutOctets", counters.get("ifOutOctets", "")),
        counters.get("ifInErrors", ""),
        counters.get("ifOutErrors", ""),
        i.if_alias,
    ]
