"""DevicePoller against the in-memory fake: requests per poll, refresh triggers, renumbering,
partial failures, the deadline and host resources."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import pytest

from netwarden.agent.polling import hostres, ifmib
from netwarden.agent.polling.poller import DevicePoller
from netwarden.agent.polling.snapshot import DeviceInfo, DeviceSnapshot
from netwarden.agent.snmp.types import Oid, Reason, Tag
from tests.unit.agent.fakes import (
    IF,
    IFX,
    FakeIf,
    FakeSession,
    add_interface,
    clear_interfaces,
    counter_value,
    make_device,
    set_scalars,
)

SWITCH = DeviceInfo("sw-skhcn-01", "so-khcn", "switch")
HOST = DeviceInfo("srv-dc-01", "dc", "host")
VIETNAMESE = "Kết nối TSLCD tới lõi — Sở Khoa học và Công nghệ"

GET = ("get", ifmib.SCALAR_OIDS)
HOT = [GET, ("walk", ifmib.HOT_IF_COLUMNS), ("walk", ifmib.HOT_IFX_COLUMNS)]
REFRESH = [*HOT, ("walk", ifmib.LABEL_IF_COLUMNS), ("walk", ifmib.LABEL_IFX_COLUMNS)]
LABEL_COLUMNS = {ifmib.IF_DESCR, ifmib.IF_ALIAS, ifmib.IF_HIGH_SPEED}
# A poll cut at its 0.05 s deadline ends within this; without the cut, a hanging request lasts
# an hour. Wide: a loaded machine runs the loop late (held to 1 s, it could fail for that).
CUT_WITHIN = 30.0


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def setup(
    interfaces: list[FakeIf] | None = None, info: DeviceInfo = SWITCH
) -> tuple[FakeSession, DevicePoller, Clock]:
    session = make_device(interfaces or [FakeIf(1, alias="uplink"), FakeIf(2, alias="access")])
    clock = Clock()
    return session, DevicePoller(info, session, clock=clock), clock


def poll(poller: DevicePoller, session: FakeSession, timeout: float = 5.0) -> DeviceSnapshot:
    session.requests.clear()
    return asyncio.run(poller.poll(timeout=timeout))


def labels_of(snap: DeviceSnapshot) -> dict[int, tuple[str, str, str]]:
    return {r.if_index: (r.if_name, r.if_descr, r.if_alias) for r in snap.interfaces}


def test_first_poll_fills_the_cache() -> None:
    session, poller, clock = setup()
    snap = poll(poller, session)
    assert session.requests == REFRESH
    assert poller.counters.label_refreshes == {"initial": 1}
    assert [type(k) for k in poller.counters.label_refreshes] == [str]  # plain label values
    assert (snap.up, snap.errors, snap.sys_uptime, snap.last_success) == (
        True,
        [],
        100_000,
        clock.now,
    )
    assert labels_of(snap) == {
        1: ("Gi0/1", "GigabitEthernet0/1", "uplink"),
        2: ("Gi0/2", "GigabitEthernet0/2", "access"),
    }
    assert snap.interfaces[0].gauges["ifHighSpeed"] == 1000


def test_hot_poll_walks_no_label_column_yet_exports_labels_and_fresh_counters() -> None:
    session, poller, clock = setup()
    poll(poller, session)
    octets = ifmib.HC_COUNTERS["ifHCInOctets"]
    session.set((*octets, 2), Tag.COUNTER64, 777)
    clock.now += 60
    snap = poll(poller, session)
    assert session.requests == HOT
    walked = {col for kind, oids in session.requests if kind == "walk" for col in oids}
    assert walked.isdisjoint(LABEL_COLUMNS)
    assert snap.interfaces[1].counters["ifHCInOctets"] == 777
    assert labels_of(snap)[2] == ("Gi0/2", "GigabitEthernet0/2", "access")
    assert snap.interfaces[1].gauges["ifHighSpeed"] == 1000
    assert poller.counters.label_refreshes == {"initial": 1}


def _reboot(session: FakeSession, clock: Clock) -> None:
    set_scalars(session, uptime=3_000, if_number=2)


def _last_change(session: FakeSession, clock: Clock) -> None:
    set_scalars(session, uptime=100_000, if_number=2, last_change=9_999)


def _if_number(session: FakeSession, clock: Clock) -> None:
    set_scalars(session, uptime=100_000, if_number=3)


def _ttl(session: FakeSession, clock: Clock) -> None:
    clock.now += 3600


def _name(session: FakeSession, clock: Clock) -> None:
    session.set((*ifmib.IF_NAME, 2), Tag.OCTET_STRING, b"Gi0/2")  # unchanged...
    session.set((*ifmib.IF_NAME, 3), Tag.OCTET_STRING, b"Gi0/3")  # ...but a new ifIndex


@pytest.mark.parametrize(
    ("change", "trigger"),
    [
        (_reboot, "reboot"),
        (_last_change, "if_table_last_change"),
        (_if_number, "if_number"),
        (_ttl, "ttl"),
        (_name, "if_name_mismatch"),
    ],
)
def test_each_trigger_refreshes_once(
    change: Callable[[FakeSession, Clock], None], trigger: str
) -> None:
    session, poller, clock = setup()
    poll(poller, session)
    session.set((*ifmib.IF_ALIAS, 1), Tag.OCTET_STRING, b"uplink to core")
    clock.now += 60
    assert labels_of(poll(poller, session))[1][2] == "uplink"  # cached: no trigger yet
    assert session.requests == HOT
    change(session, clock)
    snap = poll(poller, session)
    assert session.requests == REFRESH
    assert labels_of(snap)[1][2] == "uplink to core"
    assert poller.counters.label_refreshes == {"initial": 1, trigger: 1}
    clock.now += 60
    poll(poller, session)
    assert session.requests == HOT


def test_ttl_is_configurable() -> None:
    session = make_device([FakeIf(1)])
    clock = Clock()
    poller = DevicePoller(SWITCH, session, label_ttl=120.0, clock=clock)
    poll(poller, session)
    clock.now += 119
    poll(poller, session)
    assert session.requests == HOT
    clock.now += 1
    poll(poller, session)
    assert session.requests == REFRESH


def renumber(session: FakeSession, *, uptime: int) -> None:
    """After a reboot Gi0/1 comes back as ifIndex 3 and Gi0/2 as ifIndex 1."""
    clear_interfaces(session)
    add_interface(session, FakeIf(3, name="Gi0/1", descr="GigabitEthernet0/1", alias="uplink"))
    add_interface(session, FakeIf(1, name="Gi0/2", descr="GigabitEthernet0/2", alias="access"))
    set_scalars(session, uptime=uptime, if_number=2)


@pytest.mark.parametrize(("uptime", "trigger"), [(2_000, "reboot"), (100_000, "if_name_mismatch")])
def test_renumbering_is_logged_counted_and_not_mixed(
    caplog: pytest.LogCaptureFixture, uptime: int, trigger: str
) -> None:
    session, poller, _ = setup()
    poll(poller, session)
    renumber(session, uptime=uptime)
    with caplog.at_level(logging.WARNING, logger="netwarden.agent.polling.poller"):
        snap = poll(poller, session)
    assert poller.counters.label_refreshes[trigger] == 1
    assert poller.counters.renumbered == 2
    lines = sorted(r.getMessage() for r in caplog.records)
    assert lines == [
        "device sw-skhcn-01: interface Gi0/1 moved from ifIndex 1 to ifIndex 3",
        "device sw-skhcn-01: interface Gi0/2 moved from ifIndex 2 to ifIndex 1",
    ]
    by_name = {r.if_name: r for r in snap.interfaces}
    assert by_name["Gi0/1"].if_index == 3
    assert by_name["Gi0/1"].if_alias == "uplink"
    octets = ifmib.HC_COUNTERS["ifHCInOctets"]
    assert by_name["Gi0/1"].counters["ifHCInOctets"] == counter_value(3, octets)
    assert by_name["Gi0/2"].counters["ifHCInOctets"] == counter_value(1, octets)


def test_failed_refresh_never_lends_old_labels_to_another_interface() -> None:
    session, poller, _ = setup()
    poll(poller, session)
    renumber(session, uptime=2_000)
    session.fail(ifmib.IF_ALIAS)  # only the label walk of ifXTable asks for ifAlias
    snap = poll(poller, session)
    assert snap.errors == ["timeout"]
    assert labels_of(snap) == {
        1: ("Gi0/2", "GigabitEthernet0/2", ""),
        3: ("Gi0/1", "GigabitEthernet0/1", ""),
    }
    assert poller.counters.renumbered == 0  # only a completed refresh says who moved
    session.failures.clear()
    snap = poll(poller, session)  # the reboot is no longer visible, yet the refresh is retried
    assert session.requests == REFRESH
    assert poller.counters.label_refreshes == {"initial": 1, "reboot": 2}
    assert poller.counters.renumbered == 2
    assert labels_of(snap)[3] == ("Gi0/1", "GigabitEthernet0/1", "uplink")


def test_failed_refresh_keeps_old_labels_the_walked_ifname_confirms() -> None:
    session, poller, clock = setup()
    poll(poller, session)
    clock.now += 3600
    session.fail(ifmib.IF_ALIAS)
    snap = poll(poller, session)
    assert labels_of(snap)[1] == ("Gi0/1", "GigabitEthernet0/1", "uplink")
    assert snap.interfaces[0].gauges["ifHighSpeed"] == 1000


HC_NAMES = set(ifmib.HC_COUNTERS)


def test_ifxtable_timeout_on_first_poll_still_exports_iftable_rows_and_uptime() -> None:
    session, poller, _ = setup()
    session.fail(IFX)
    snap = poll(poller, session)
    assert snap.up is True
    assert snap.sys_uptime == 100_000
    assert snap.errors == ["timeout", "timeout"]  # the counter walk and the label walk
    assert all(m.startswith("ifXTable") and "\n" not in m for m in snap.error_messages)
    assert [r.if_index for r in snap.interfaces] == [1, 2]
    row = snap.interfaces[0]
    assert (row.if_name, row.if_descr) == ("", "GigabitEthernet0/1")
    assert set(row.counters) == {"ifInErrors", "ifOutErrors", "ifInDiscards", "ifOutDiscards"}
    assert row.gauges["ifOperStatus"] == 1
    assert poller.counters.errors == {"timeout": 2}


def test_ifxtable_timeout_on_hot_poll_keeps_cached_labels() -> None:
    session, poller, _ = setup()
    poll(poller, session)
    session.fail(IFX)
    snap = poll(poller, session)
    assert session.requests == HOT
    assert snap.errors == ["timeout"]
    assert labels_of(snap)[1] == ("Gi0/1", "GigabitEthernet0/1", "uplink")
    assert HC_NAMES.isdisjoint(snap.interfaces[0].counters)
    assert "ifInOctets" not in snap.interfaces[0].counters


def test_total_failure_is_down_with_its_reason_and_keeps_last_success() -> None:
    session, poller, clock = setup()
    first = poll(poller, session)
    clock.now += 60
    session.fail((1,))
    snap = poll(poller, session)
    assert session.requests == [GET]  # a device that does not answer costs one request
    assert (snap.up, snap.errors, snap.sys_uptime, snap.interfaces) == (
        False,
        ["timeout"],
        None,
        [],
    )
    assert len(snap.error_messages) == 1
    assert snap.last_success == first.started
    assert poller.counters.errors == {"timeout": 1}


def test_total_failure_of_a_new_device() -> None:
    session, poller, _ = setup()
    session.fail((1,), Reason.refused)
    snap = poll(poller, session)
    assert (snap.up, snap.errors, snap.last_success) == (False, ["refused"], None)


def test_agent_error_on_the_get_does_not_stop_the_walks() -> None:
    session, poller, _ = setup()
    session.fail(ifmib.SYS_UPTIME, Reason.error_status)
    snap = poll(poller, session)
    assert snap.up is True
    assert snap.errors == ["error-status"]
    assert snap.sys_uptime is None
    assert len(snap.interfaces) == 2


def test_deadline_is_respected_and_keeps_what_answered() -> None:
    session, poller, _ = setup()
    session.hangs.add(IFX)
    began = time.monotonic()
    snap = poll(poller, session, timeout=0.05)
    assert time.monotonic() - began < CUT_WITHIN
    assert snap.up is True
    assert snap.errors == ["timeout"]
    assert "deadline" in snap.error_messages[0]
    assert snap.sys_uptime == 100_000
    assert [r.if_descr for r in snap.interfaces] == ["", ""]  # labels never arrived
    assert snap.interfaces[0].gauges["ifOperStatus"] == 1


def test_device_that_never_answers_times_out_as_down() -> None:
    session, poller, _ = setup()
    session.hangs.add((1,))
    snap = poll(poller, session, timeout=0.05)
    assert (snap.up, snap.errors) == (False, ["timeout"])
    assert 0.0 <= snap.duration < CUT_WITHIN  # seconds (50 ms as milliseconds would be 50)


def test_refresh_cut_by_the_deadline_is_retried() -> None:
    session, poller, _ = setup()
    session.hangs.add(ifmib.IF_ALIAS)
    poll(poller, session, timeout=0.05)
    session.hangs.clear()
    snap = poll(poller, session)
    assert session.requests == REFRESH
    assert poller.counters.label_refreshes == {"initial": 2}
    assert labels_of(snap)[1] == ("Gi0/1", "GigabitEthernet0/1", "uplink")


def test_refresh_cut_by_the_deadline_keeps_labels_the_walked_ifname_confirms() -> None:
    session, poller, clock = setup()
    poll(poller, session)
    clock.now += 3600
    session.hangs.add(ifmib.IF_DESCR)  # the first label walk never answers
    snap = poll(poller, session, timeout=0.05)
    assert snap.errors == ["timeout"]
    assert labels_of(snap)[1] == ("Gi0/1", "GigabitEthernet0/1", "uplink")


def test_programming_errors_are_not_swallowed() -> None:
    session, poller, _ = setup()

    async def broken(roots: object) -> None:
        raise RuntimeError("bug")

    session.bulk_walk = broken  # type: ignore[assignment, method-assign]
    with pytest.raises(RuntimeError, match="bug"):
        poll(poller, session)


def test_vietnamese_and_non_utf8_aliases_do_not_drop_the_device() -> None:
    ifaces = [FakeIf(1, alias=VIETNAMESE.encode()), FakeIf(2, alias=b"\x4b\xe1\xff")]
    session, poller, _ = setup(ifaces)
    snap = poll(poller, session)
    assert (snap.up, snap.errors) == (True, [])
    assert [r.if_alias for r in snap.interfaces] == [VIETNAMESE, "K\\xe1\\xff"]


def test_counter64_extremes_survive_the_poll() -> None:
    octets_in, octets_out = ifmib.HC_COUNTERS["ifHCInOctets"], ifmib.HC_COUNTERS["ifHCOutOctets"]
    iface = FakeIf(1, overrides={octets_in: 2**64 - 1, octets_out: 2**53 + 1})
    session, poller, _ = setup([iface])
    counters = poll(poller, session).interfaces[0].counters
    assert (counters["ifHCInOctets"], counters["ifHCOutOctets"]) == (2**64 - 1, 2**53 + 1)


def test_32_bit_only_device_through_the_poller() -> None:
    session = make_device([FakeIf(1)], ifx=False)
    poller = DevicePoller(SWITCH, session, clock=Clock())
    row = poll(poller, session).interfaces[0]
    assert row.counter_bits == 32
    assert row.counters["ifInOctets"] == counter_value(1, (*IF, 10))


def add_host_resources(session: FakeSession) -> None:
    entry = hostres.HR_STORAGE_ENTRY
    disk: Oid = (1, 3, 6, 1, 2, 1, 25, 2, 1, 4)
    session.set((*entry, 2, 31), Tag.OBJECT_IDENTIFIER, disk)
    session.set((*entry, 3, 31), Tag.OCTET_STRING, b"/")
    session.set((*entry, 4, 31), Tag.INTEGER, 4096)
    session.set((*entry, 5, 31), Tag.INTEGER, 2_000_000)
    session.set((*entry, 6, 31), Tag.INTEGER, 500_000)
    session.set((*hostres.HR_PROCESSOR_LOAD, 196608), Tag.INTEGER, 7)


def test_host_gets_storage_and_processor_load() -> None:
    session, poller, _ = setup(info=HOST)
    add_host_resources(session)
    snap = poll(poller, session)
    assert session.requests[-2:] == [
        ("walk", hostres.HR_STORAGE_COLUMNS),
        ("walk", hostres.HR_PROCESSOR_COLUMNS),
    ]
    assert [(s.index, s.descr, s.size, s.used) for s in snap.storage] == [
        (31, "/", 2_000_000, 500_000)
    ]
    assert snap.processor_load == {196608: 7}


def test_host_storage_failure_keeps_the_rest() -> None:
    session, poller, _ = setup(info=HOST)
    add_host_resources(session)
    session.fail(hostres.HR_STORAGE_ENTRY)
    snap = poll(poller, session)
    assert snap.errors == ["timeout"]
    assert snap.storage == []
    assert snap.processor_load == {196608: 7}
    assert len(snap.interfaces) == 2


def test_switch_does_not_walk_host_resources() -> None:
    session, poller, _ = setup()
    add_host_resources(session)
    snap = poll(poller, session)
    assert session.requests == REFRESH
    assert (snap.storage, snap.processor_load) == ([], {})
