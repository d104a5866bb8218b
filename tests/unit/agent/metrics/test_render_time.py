"""Render time of a large synthetic fleet: printed for the record, not asserted (shared CI
machines make timings flaky); correctness of the large page is asserted."""

from __future__ import annotations

import time

import pytest

from netwarden.agent.metrics import Family, SnapshotCollector, iter_render
from netwarden.agent.metrics.names import AGENT, HOST

from .synthetic import large_fleet, registry_of

DEVICES, INTERFACES = 2_000, 50
PER_INTERFACE = 12 + 4 + 1  # 64-bit counters, IF-MIB gauges, netwarden_if_high_capacity


def test_render_time_of_2000_devices_with_50_interfaces(capsys: pytest.CaptureFixture[str]) -> None:
    fleet = large_fleet(DEVICES, INTERFACES)
    collector = SnapshotCollector(lambda: fleet)

    start = time.perf_counter()
    families = [f for f in collector.collect() if isinstance(f, Family)]
    collected = time.perf_counter()
    size = lines = 0
    for chunk in iter_render(registry_of(*families)):
        size += len(chunk)
        lines += chunk.count(b"\n")
    done = time.perf_counter()

    rows = DEVICES * INTERFACES
    per_device = len(HOST) + 3 + 7 + 1  # + up, duration, last success; 7 reasons; renumbered
    assert lines == rows * PER_INTERFACE + DEVICES * per_device + 2 * len(families) + 1
    assert len(families) == 16 + len(HOST) + len(AGENT) - 4  # no 32-bit, links, reload, refresh
    with capsys.disabled():
        print(
            f"\nrender time: {rows:,} interface rows, {lines:,} lines, {size / 1e6:.0f} MB: "
            f"collect {collected - start:.2f} s + render {done - collected:.2f} s "
            f"= {done - start:.2f} s"
        )
