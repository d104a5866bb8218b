"""Synthetic snapshots for the exposition tests: a small fleet that fills every family, and
a large one for the render time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from netwarden.agent.metrics import Family, ReloadStatus, SnapshotCollector, render
from netwarden.agent.polling.snapshot import (
    DeviceCounters,
    DeviceInfo,
    DeviceSnapshot,
    InterfaceSample,
    StorageSample,
)

HC = (
    *("ifHCInOctets", "ifHCOutOctets", "ifHCInUcastPkts", "ifHCOutUcastPkts"),
    *("ifHCInMulticastPkts", "ifHCOutMulticastPkts", "ifHCInBroadcastPkts"),
    "ifHCOutBroadcastPkts",
)
ERRORS = ("ifInErrors", "ifOutErrors", "ifInDiscards", "ifOutDiscards")
LOW = ("ifInOctets", "ifOutOctets", "ifInUcastPkts", "ifOutUcastPkts")
GAUGES = ("ifOperStatus", "ifAdminStatus", "ifHighSpeed", "ifLastChange")


@dataclass(frozen=True)
class End:
    """A link end, as the agent's fleet module gives them."""

    link: str
    kind: str
    device: str
    if_name: str


def interface(index: int, *, bits: int = 64, base: int = 1000, **labels: str) -> InterfaceSample:
    """An interface with every counter of its width; labels override ifName/ifDescr/ifAlias."""
    names = (*HC, *ERRORS) if bits == 64 else (*LOW, *ERRORS)
    return InterfaceSample(
        if_index=index,
        if_name=labels.get("if_name", f"Gi0/{index}"),
        if_descr=labels.get("if_descr", f"GigabitEthernet0/{index}"),
        if_alias=labels.get("if_alias", f"uplink {index}"),
        counters={name: base + i for i, name in enumerate(names)},
        gauges={"ifOperStatus": 1, "ifAdminStatus": 1, "ifHighSpeed": 1000, "ifLastChange": 42},
        counter_bits=bits,
    )


def snapshot(
    device: str,
    interfaces: Sequence[InterfaceSample] = (),
    *,
    up: bool = True,
    site: str = "so-khcn",
    role: str = "switch",
    last_success: float | None = 1_700_000_000.5,
) -> DeviceSnapshot:
    """A snapshot of ``device``; a device that is down has errors and no values."""
    info = DeviceInfo(device, site, role)
    if not up:
        return DeviceSnapshot(
            info, 1_700_000_100.0, 4.0, False, ["timeout"], ["no answer"], last_success=last_success
        )
    return DeviceSnapshot(
        info,
        1_700_000_100.0,
        0.125,
        True,
        sys_uptime=123_456,
        interfaces=list(interfaces),
        storage=[StorageSample(1, "Physical memory", "1.3.6.1.2.1.25.2.1.2", 1024, 4000, 1000)],
        processor_load={196608: 7},
        last_success=last_success,
    )


def full_fleet() -> list[tuple[DeviceSnapshot, DeviceCounters]]:
    """Devices that, together, fill every family of names.METRICS."""
    core = snapshot(
        "core-rtr", [interface(1), interface(2, if_alias="TSLCD Sở KH&CN")], role="router"
    )
    old = snapshot("sw-cu", [interface(1, bits=32)], site="ubnd-xa", role="switch")
    down = snapshot("sw-hong", up=False)
    return [
        (core, DeviceCounters({"timeout": 1}, {"ifnumber-changed": 2}, renumbered=1)),
        (old, DeviceCounters()),
        (down, DeviceCounters({"timeout": 5, "auth": 1})),
    ]


LINKS = (
    End("tsl-core-cu", "dedicated-data-network", "core-rtr", "Gi0/1"),
    End("tsl-core-cu", "dedicated-data-network", "sw-cu", "Gi0/1"),
    End("internet-core", "internet", "core-rtr", "Gi0/2"),
)


def registry(
    fleet: Sequence[tuple[DeviceSnapshot, DeviceCounters]],
    links: Sequence[End] = (),
    reload: ReloadStatus | None = None,
) -> CollectorRegistry:
    """A fresh registry holding one collector over ``fleet``."""
    reg = CollectorRegistry()
    SnapshotCollector(lambda: fleet, lambda: links, lambda: reload, version="1.2.3", registry=reg)
    return reg


class _Fixed:
    def __init__(self, families: Sequence[Family]) -> None:
        self.families = families

    def collect(self) -> Sequence[Family]:
        return self.families


def registry_of(*families: Family) -> CollectorRegistry:
    """A fresh registry holding exactly ``families``."""
    reg = CollectorRegistry()
    reg.register(_Fixed(families))
    return reg


def full_registry() -> CollectorRegistry:
    return registry(full_fleet(), LINKS, ReloadStatus(True, 1_700_000_000.0))


def parse(text: str) -> dict[str, Metric]:
    """The families of ``text`` by the name prometheus-client's parser gives them."""
    families: dict[str, Metric] = {}
    for family in text_string_to_metric_families(text):
        assert family.name not in families, f"family {family.name} split in two"
        families[family.name] = family
    return families


def rendered(reg: CollectorRegistry) -> str:
    return render(reg).decode("utf-8")


def large_fleet(devices: int, interfaces: int) -> list[tuple[DeviceSnapshot, DeviceCounters]]:
    """``devices`` x ``interfaces`` 64-bit interfaces with realistic, distinct labels."""
    fleet = []
    for d in range(devices):
        ifaces = [
            interface(
                i,
                base=2**40 + d * i,
                if_alias=f"Đường truyền số liệu chuyên dùng - phòng {i} - thiết bị {d}",
            )
            for i in range(1, interfaces + 1)
        ]
        fleet.append((snapshot(f"sw-{d:04d}", ifaces, site=f"site-{d // 20}"), DeviceCounters()))
    return fleet
