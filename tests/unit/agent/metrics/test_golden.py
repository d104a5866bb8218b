"""/metrics byte for byte: a varied fleet against pages rendered by the writer of main 907634a.

The golden files were written by that commit's code (``python -m
tests.unit.agent.metrics.test_golden`` there); the writer has changed since (the interface
families stream from the snapshots), and the page must not have. The same collector renders
the states one after another, as an agent's scrapes do: anything it kept from one scrape to
the next (a cache of the interfaces' encoded labels was tried) would have to follow each
label's change, removals and devices going down.
"""

from __future__ import annotations

import asyncio
import math
import sys
from dataclasses import replace
from pathlib import Path

from prometheus_client import CollectorRegistry

from netwarden.agent.metrics import ReloadStatus, SnapshotCollector, render
from netwarden.agent.metrics.device_metrics import device_families
from netwarden.agent.metrics.names import IF_COUNTERS, IF_GAUGES
from netwarden.agent.polling.interface_table import COLUMNS, InterfaceTable
from netwarden.agent.polling.poller import DevicePoller
from netwarden.agent.polling.snapshot import (
    DeviceCounters,
    DeviceInfo,
    DeviceSnapshot,
    InterfaceSample,
)
from tests.unit.agent.fakes import FakeIf, make_device

from .synthetic import LINKS, End, interface, snapshot

GOLDEN = Path(__file__).parent / "golden"
Fleet = list[tuple[DeviceSnapshot, DeviceCounters]]


def _row(index: int, *, bits: int = 64, base: int = 1000, **labels: str) -> InterfaceSample:
    return interface(index, bits=bits, base=base, **labels)


def _packed(fleet: Fleet) -> Fleet:
    """``fleet`` with each device's interfaces in a packed table, as the poller gives them."""
    for device, _ in fleet:
        device.interfaces = InterfaceTable.from_samples(device.interfaces)
    return fleet


def state_a() -> Fleet:
    """Every kind of row: 64- and 32-bit interfaces, values past 2**53 and 2**64, negative
    gauges (a table kept as a list of values), missing columns, names outside the table,
    labels that need escaping, a device down, one never up, NaN and infinite durations,
    storage, processors."""
    odd = InterfaceSample(
        7,
        'quote"back\\slash',
        "new\nline",
        "TSLCD Sở KH&CN ✓",
        {"ifHCInOctets": 2**64 - 1, "ifHCOutOctets": 2**53 + 1, "ifInErrors": 0},
        {"ifOperStatus": -2, "ifAdminStatus": 2, "notInTheTable": 5},
    )
    sparse = InterfaceSample(9, "", "", "", {}, {"ifOperStatus": 7})
    plain = InterfaceSample(
        3, "Te1/3", "TenGig 1/3", "", {"ifHCInOctets": 12, "ifOutDiscards": 3}, {"ifLastChange": 0}
    )
    core = snapshot(
        "core-rtr", [_row(1), _row(2, if_alias="uplink to core"), odd, sparse], role="router"
    )
    core.duration = math.nan
    old = snapshot("sw-cu", [_row(1, bits=32), _row(2, bits=32, base=2**31), plain], site="xa")
    old.duration = math.inf
    old.sys_uptime = None
    old.storage = []
    old.processor_load = {196608: 7, 196609: 93}
    down = snapshot("sw-hong", up=False)
    never = snapshot("sw-moi", up=False, last_success=None)
    host = snapshot("srv-1", [], role="host")
    wide = snapshot("sw-lon", [_row(i, base=2**40 + i) for i in range(1, 30)], site="Hà Nội")
    fleet = [
        (core, DeviceCounters({"timeout": 1}, {"if_number": 2, "initial": 1}, renumbered=1)),
        (old, DeviceCounters()),
        (down, DeviceCounters({"timeout": 5, "auth": 1})),
        (never, DeviceCounters({"timeout": 1})),
        (host, DeviceCounters(label_refreshes={"initial": 1})),
        (wide, DeviceCounters()),
    ]
    # One device for each single change that state_b makes to an interface's labels.
    for change in ("name", "descr", "alias", "index", "gone", "same"):
        fleet.append((snapshot(f"sw-{change}", [_row(1), _row(2), _row(3)]), DeviceCounters()))
    return fleet


def state_b() -> Fleet:
    """``state_a`` a few polls later: each label of one interface changed on its own (ifName,
    ifDescr, ifAlias, ifIndex), an interface gone, a device moved to another site (its
    interfaces as they were), one down, one removed from the inventory, one added with the
    very labels of another device's interfaces (the cache must tell devices apart)."""
    fleet = state_a()
    by_name = {snapshot.info.device: snapshot for snapshot, _ in fleet}
    by_name["sw-name"].interfaces[1] = _row(2, if_name="Gi0/2-renamed")
    by_name["sw-descr"].interfaces[1] = _row(2, if_descr="GigabitEthernet0/2 (new card)")
    by_name["sw-alias"].interfaces[1] = _row(2, if_alias="uplink 2, moved")
    moved = _row(7, if_name="Gi0/2", if_descr="GigabitEthernet0/2", if_alias="uplink 2")
    by_name["sw-index"].interfaces[1] = moved
    del by_name["sw-gone"].interfaces[2]
    wide = by_name["sw-lon"]
    wide.info = replace(wide.info, site="Huế")
    by_name["sw-cu"].up = False
    twin = snapshot("sw-twin", [_row(1), _row(2, if_alias="uplink to core")], role="router")
    core, counters = fleet[0]
    fleet[0] = (core, DeviceCounters({"timeout": 2}, counters.label_refreshes, renumbered=1))
    return [pair for pair in fleet if pair[0].info.device != "srv-1"] + [
        (twin, DeviceCounters(renumbered=3))
    ]


def _collector(states: list[Fleet]) -> tuple[CollectorRegistry, list[Fleet]]:
    """A registry whose one collector serves ``current[0]`` (the test moves it along)."""
    current = [states[0]]
    registry = CollectorRegistry()
    links = (*LINKS, End("odd", "lan-uplink", "core-rtr", 'quote"back\\slash'))
    SnapshotCollector(
        lambda: current[0],
        lambda: links,
        lambda: ReloadStatus(False, 1_700_000_001.25),
        version="1.2.3",
        registry=registry,
    )
    return registry, current


def test_the_page_is_byte_identical_to_main_across_changing_scrapes() -> None:
    a, b = (GOLDEN / "state_a.txt").read_bytes(), (GOLDEN / "state_b.txt").read_bytes()
    assert a != b
    registry, current = _collector([_packed(state_a())])
    assert render(registry) == a
    current[0] = _packed(state_b())
    assert render(registry) == b
    current[0] = _packed(state_a())
    assert render(registry) == a
    assert render(registry) == a  # a scrape of an unchanged state, from what is kept
    current[0] = state_b()  # rows made elsewhere (tests, benchmarks): a list of samples
    assert render(registry) == b


def _families(snapshot: DeviceSnapshot, counters: DeviceCounters) -> list[object]:
    # Values by repr: a NaN duration equals itself only so.
    return [
        (f.name, f.row_labels, [repr(v) for v in f.row_values])
        for f in device_families(snapshot, counters)
    ]


def test_a_polls_series_from_its_table_are_those_of_its_rows() -> None:
    """``device_families`` (each poll a push sends, ``render_one``) reads a packed table
    column by column: it must give, family by family and row by row, what the same
    interfaces as one ``InterfaceSample`` each give."""
    assert set(COLUMNS) <= {spec.name for spec in (*IF_COUNTERS, *IF_GAUGES)}
    for listed, packed in ((state_a(), _packed(state_a())), (state_b(), _packed(state_b()))):
        for (rows, counters), (table, _) in zip(listed, packed, strict=True):
            assert isinstance(table.interfaces, InterfaceTable)
            assert _families(table, counters) == _families(rows, counters)
    # And a table as the poller builds it: from the walks, with the label cache's packed labels.
    session = make_device(
        [FakeIf(1, alias="uplink"), FakeIf(2, hc=False), FakeIf(5, name='a"b', oper=2)]
    )
    poller = DevicePoller(DeviceInfo("sw-1", "so-tc", "switch"), session)
    asyncio.run(poller.poll(timeout=5))
    polled = asyncio.run(poller.poll(timeout=5))  # the second: labels from the cache
    assert isinstance(polled.interfaces, InterfaceTable)
    as_rows = replace(polled, interfaces=list(polled.interfaces))
    got = _families(polled, poller.counters)
    assert got == _families(as_rows, poller.counters)
    assert any(name == "ifInOctets" for name, _, _ in got)  # the 32-bit row is there


def _write() -> None:
    """(Re)write the golden files: only from the reference commit's code."""
    GOLDEN.mkdir(exist_ok=True)
    for name, fleet in (("state_a", state_a()), ("state_b", state_b())):
        registry, _ = _collector([fleet])
        (GOLDEN / f"{name}.txt").write_bytes(render(registry))
        print(f"wrote {GOLDEN / name}.txt", file=sys.stderr)


if __name__ == "__main__":
    _write()
