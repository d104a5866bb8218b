"""What the collector exports for devices up, down, 32-bit, and for links and reloads."""

from __future__ import annotations

import gc

import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.registry import DuplicateTimeseries

from netwarden.agent.metrics import METRICS, ReloadStatus, SnapshotCollector
from netwarden.agent.metrics.family import Family
from netwarden.agent.polling.interface_table import InterfaceTable
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot
from netwarden.agent.snmp.types import Reason

from .synthetic import LINKS, End, full_fleet, interface, parse, registry, rendered, snapshot


def _series(reg: CollectorRegistry, family: str) -> dict[tuple[str, ...], float]:
    """{label values in order: value} of one family as a parser reads it (absent: {})."""
    found = parse(rendered(reg)).get(family)
    if found is None:
        return {}
    return {tuple(s.labels.values()): s.value for s in found.samples}


def _devices(reg: CollectorRegistry, family: str) -> set[str]:
    return {labels[0] for labels in _series(reg, family)}


def test_the_registry_is_the_one_given_never_the_global_one() -> None:
    reg = CollectorRegistry()
    collector = SnapshotCollector(list, registry=reg)
    assert "netwarden_agent_build_info" not in {m.name for m in REGISTRY.collect()}
    assert [m.name for m in collector.describe()] == [spec.name for spec in METRICS]
    with pytest.raises(DuplicateTimeseries):
        SnapshotCollector(list, registry=reg)


def test_a_device_that_did_not_answer_has_no_stale_values() -> None:
    reg = registry(full_fleet())
    assert _series(reg, "netwarden_device_up")[("sw-hong", "so-khcn", "switch", "snmp")] == 0
    assert _series(reg, "netwarden_device_up")[("core-rtr", "so-khcn", "router", "snmp")] == 1
    errors = _series(reg, "netwarden_snmp_poll_errors")
    assert errors[("sw-hong", "so-khcn", "switch", "timeout")] == 5
    assert errors[("sw-hong", "so-khcn", "switch", "auth")] == 1
    assert _series(reg, "netwarden_snmp_poll_duration_seconds")[
        ("sw-hong", "so-khcn", "switch")
    ] == pytest.approx(4.0)
    # It answered before: when is still known.
    assert "sw-hong" in _devices(reg, "netwarden_snmp_last_success_timestamp_seconds")
    for family in ("ifHCInOctets", "ifOperStatus", "sysUpTime", "hrStorageUsed"):
        assert "sw-hong" not in _devices(reg, family)
        assert "core-rtr" in _devices(reg, family)
    assert "sw-hong" not in _devices(reg, "hrProcessorLoad")
    assert "sw-hong" not in _devices(reg, "netwarden_if_high_capacity")


def test_values_go_even_if_the_poller_left_them_in_a_failed_snapshot() -> None:
    stale = snapshot("sw-1", [interface(1)])
    stale.up = False
    reg = registry([(stale, DeviceCounters())])
    assert _series(reg, "ifHCInOctets") == {}
    assert _series(reg, "sysUpTime") == {}


def test_every_reason_starts_at_zero_for_every_device() -> None:
    reg = registry([(snapshot("sw-1"), DeviceCounters({"decode": 2, "future-reason": 1}))])
    errors = _series(reg, "netwarden_snmp_poll_errors")
    expected = {reason.value: 0 for reason in Reason} | {"decode": 2, "future-reason": 1}
    assert errors == {("sw-1", "so-khcn", "switch", r): n for r, n in expected.items()}


def test_last_success_is_absent_until_the_first_success() -> None:
    reg = registry([(snapshot("sw-1", up=False, last_success=None), DeviceCounters())])
    assert _series(reg, "netwarden_snmp_last_success_timestamp_seconds") == {}
    assert _series(reg, "netwarden_device_up") == {("sw-1", "so-khcn", "switch", "snmp"): 0}


def test_a_32_bit_device_exports_the_32_bit_counters() -> None:
    reg = registry(full_fleet())
    assert "sw-cu" in _devices(reg, "ifInOctets")
    assert "sw-cu" not in _devices(reg, "ifHCInOctets")
    assert "core-rtr" not in _devices(reg, "ifInOctets")
    high_capacity = _series(reg, "netwarden_if_high_capacity")
    assert high_capacity[("sw-cu", "1", "Gi0/1")] == 0
    assert high_capacity[("core-rtr", "2", "Gi0/2")] == 1


def test_interface_series_carry_the_inventory_and_if_mib_labels() -> None:
    iface = interface(7, if_name="Gi0/7", if_descr="GigabitEthernet0/7", if_alias="to core")
    reg = registry([(snapshot("sw-1", [iface], site="dc", role="switch"), DeviceCounters())])
    labels = ("sw-1", "dc", "switch", "7", "Gi0/7", "GigabitEthernet0/7", "to core")
    assert _series(reg, "ifHCInOctets") == {labels: iface.counters["ifHCInOctets"]}
    assert _series(reg, "ifHighSpeed") == {labels: 1000}


def test_names_outside_the_table_are_not_exported() -> None:
    iface = interface(1)
    iface.counters["ifHCInSomething"] = 5
    iface.counters["ifOperStatus"] = 9  # a gauge given as a counter does not become one
    iface.gauges["ifSpeed"] = 10
    text = rendered(registry([(snapshot("sw-1", [iface]), DeviceCounters())]))
    assert "ifHCInSomething" not in text
    assert "ifSpeed" not in text
    assert _series(registry([(snapshot("sw-1", [iface]), DeviceCounters())]), "ifOperStatus")
    assert "} 9\n" not in text


def test_running_totals_become_counters() -> None:
    totals = DeviceCounters(label_refreshes={"ifnumber-changed": 2, "sysuptime-reset": 1})
    totals.renumbered = 3
    reg = registry([(snapshot("sw-1"), totals)])
    assert _series(reg, "netwarden_snmp_label_refreshes") == {
        ("sw-1", "ifnumber-changed"): 2,
        ("sw-1", "sysuptime-reset"): 1,
    }
    assert _series(reg, "netwarden_if_renumbered") == {("sw-1",): 3}


def test_link_info_is_one_series_per_link_end() -> None:
    reg = registry(full_fleet(), LINKS)
    assert _series(reg, "netwarden_link_info") == {
        ("tsl-core-cu", "dedicated-data-network", "core-rtr", "Gi0/1"): 1,
        ("tsl-core-cu", "dedicated-data-network", "sw-cu", "Gi0/1"): 1,
        ("internet-core", "internet", "core-rtr", "Gi0/2"): 1,
    }
    # Named so that on(device, ifName) joins it to the interface series.
    assert ("core-rtr", "Gi0/1") in {(k[0], k[4]) for k in _series(reg, "ifHCInOctets")}


@pytest.mark.parametrize("success", [True, False])
def test_reload_metrics(success: bool) -> None:
    reg = registry([], (), ReloadStatus(success, 1_700_000_123.25))
    assert _series(reg, "netwarden_agent_inventory_reload_success") == {(): int(success)}
    assert _series(reg, "netwarden_agent_inventory_reload_timestamp_seconds") == {
        (): 1_700_000_123.25
    }


def test_without_devices_only_the_agent_families_are_there() -> None:
    families = parse(rendered(registry([])))
    assert list(families) == ["netwarden_agent_build_info"]
    assert families["netwarden_agent_build_info"].samples[0].labels == {"version": "1.2.3"}
    assert families["netwarden_agent_build_info"].samples[0].value == 1


def test_collect_reads_the_source_once_and_keeps_nothing() -> None:
    calls: list[int] = []
    fleet = full_fleet()

    def source() -> list[tuple[DeviceSnapshot, DeviceCounters]]:
        calls.append(1)
        return fleet

    collector = SnapshotCollector(source, lambda: [End("l", "lan-uplink", "sw-cu", "Gi0/1")])
    first = list(collector.collect())
    assert len(calls) == 1
    assert list(collector.collect()) == first
    fleet.pop()
    assert list(collector.collect()) != first


def test_a_scrape_leaves_no_reference_cycle() -> None:
    # A scrape's families hold its view of the polls (the interface tables it read). In a
    # cycle, that view outlives the scrape until a full collection of the garbage collector,
    # rare in a large agent: each scrape then left a poll's tables (~3.3 MiB at 500 devices)
    # in the heap. Freed by reference counting, they go when the scrape ends.
    # Only the scrape's own objects are looked for among what a collection finds: another
    # thread of the test process may leave garbage of its own meanwhile.
    reg = registry(full_fleet(), LINKS, ReloadStatus(True, 1_700_000_000.0))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept in gc.garbage, to look at
    try:
        assert "ifHCInOctets" in rendered(reg)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, Family | InterfaceTable)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []
