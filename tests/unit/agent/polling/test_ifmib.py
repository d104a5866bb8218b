"""IF-MIB mapping: numeric OIDs, walked columns -> interface rows, text decoding."""

from __future__ import annotations

import codecs

from netwarden.agent.polling import ifmib
from netwarden.agent.polling.ifmib import IfLabels
from netwarden.agent.polling.snapshot import InterfaceSample
from netwarden.agent.snmp.types import Oid, Tag, VarBind, parse_oid
from tests.unit.agent.fakes import IF, IFX, FakeIf, FakeSession, counter_value, make_device

VIETNAMESE = "Kết nối TSLCD tới lõi — Sở Khoa học và Công nghệ"
HC_NAMES = set(ifmib.HC_COUNTERS)
IF_TABLE_NAMES = {"ifInErrors", "ifOutErrors", "ifInDiscards", "ifOutDiscards"}
LEGACY_NAMES = {"ifInOctets", "ifOutOctets", "ifInUcastPkts", "ifOutUcastPkts"}


def rows_of(
    session: FakeSession, *, ifx_ok: bool = True
) -> tuple[list[InterfaceSample], list[int]]:
    if_walk = session.walk_now(ifmib.HOT_IF_COLUMNS)
    ifx_walk = session.walk_now(ifmib.HOT_IFX_COLUMNS) if ifx_ok else None
    labels = ifmib.parse_labels(
        session.walk_now(ifmib.LABEL_IF_COLUMNS), session.walk_now(ifmib.LABEL_IFX_COLUMNS)
    )
    return ifmib.build_interfaces(if_walk, ifx_walk, labels)


def test_oids_are_rfc_2863_and_snmpv2_mib() -> None:
    expected: dict[str, str] = {
        "ifDescr": "1.3.6.1.2.1.2.2.1.2",
        "ifAdminStatus": "1.3.6.1.2.1.2.2.1.7",
        "ifOperStatus": "1.3.6.1.2.1.2.2.1.8",
        "ifLastChange": "1.3.6.1.2.1.2.2.1.9",
        "ifInOctets": "1.3.6.1.2.1.2.2.1.10",
        "ifInUcastPkts": "1.3.6.1.2.1.2.2.1.11",
        "ifInDiscards": "1.3.6.1.2.1.2.2.1.13",
        "ifInErrors": "1.3.6.1.2.1.2.2.1.14",
        "ifOutOctets": "1.3.6.1.2.1.2.2.1.16",
        "ifOutUcastPkts": "1.3.6.1.2.1.2.2.1.17",
        "ifOutDiscards": "1.3.6.1.2.1.2.2.1.19",
        "ifOutErrors": "1.3.6.1.2.1.2.2.1.20",
        "ifName": "1.3.6.1.2.1.31.1.1.1.1",
        "ifHCInOctets": "1.3.6.1.2.1.31.1.1.1.6",
        "ifHCInUcastPkts": "1.3.6.1.2.1.31.1.1.1.7",
        "ifHCInMulticastPkts": "1.3.6.1.2.1.31.1.1.1.8",
        "ifHCInBroadcastPkts": "1.3.6.1.2.1.31.1.1.1.9",
        "ifHCOutOctets": "1.3.6.1.2.1.31.1.1.1.10",
        "ifHCOutUcastPkts": "1.3.6.1.2.1.31.1.1.1.11",
        "ifHCOutMulticastPkts": "1.3.6.1.2.1.31.1.1.1.12",
        "ifHCOutBroadcastPkts": "1.3.6.1.2.1.31.1.1.1.13",
        "ifHighSpeed": "1.3.6.1.2.1.31.1.1.1.15",
        "ifAlias": "1.3.6.1.2.1.31.1.1.1.18",
        "ifNumber": "1.3.6.1.2.1.2.1.0",
        "ifTableLastChange": "1.3.6.1.2.1.31.1.5.0",
        "sysUpTime": "1.3.6.1.2.1.1.3.0",
    }
    ours: dict[str, Oid] = {
        **ifmib.IF_GAUGES,
        **ifmib.IF_COUNTERS,
        **ifmib.LEGACY_COUNTERS,
        **ifmib.HC_COUNTERS,
        "ifDescr": ifmib.IF_DESCR,
        "ifName": ifmib.IF_NAME,
        "ifHighSpeed": ifmib.IF_HIGH_SPEED,
        "ifAlias": ifmib.IF_ALIAS,
        "ifNumber": ifmib.IF_NUMBER,
        "ifTableLastChange": ifmib.IF_TABLE_LAST_CHANGE,
        "sysUpTime": ifmib.SYS_UPTIME,
    }
    assert {name: parse_oid(text) for name, text in expected.items()} == ours


def test_hot_columns_leave_out_every_label_column() -> None:
    hot = {*ifmib.HOT_IF_COLUMNS, *ifmib.HOT_IFX_COLUMNS}
    assert ifmib.IF_DESCR not in hot
    assert ifmib.IF_ALIAS not in hot
    assert ifmib.IF_HIGH_SPEED not in hot
    assert ifmib.IF_NAME in hot  # walked with the counters to notice renumbering


def test_64_bit_device_exports_hc_counters_only() -> None:
    rows, conflicts = rows_of(make_device([FakeIf(1), FakeIf(2)]))
    assert conflicts == []
    assert [r.if_index for r in rows] == [1, 2]
    row = rows[1]
    assert (row.if_name, row.if_descr, row.counter_bits) == ("Gi0/2", "GigabitEthernet0/2", 64)
    assert set(row.counters) == HC_NAMES | IF_TABLE_NAMES
    assert row.counters["ifHCInOctets"] == counter_value(2, (*IFX, 6))
    assert row.counters["ifInErrors"] == counter_value(2, (*IF, 14))
    assert row.gauges == {
        "ifAdminStatus": 1,
        "ifOperStatus": 1,
        "ifLastChange": 4202,
        "ifHighSpeed": 1000,
    }


def test_32_bit_only_device_falls_back_to_iftable_counters() -> None:
    session = make_device([FakeIf(1), FakeIf(2)], ifx=False)
    rows, _ = rows_of(session)
    assert [r.counter_bits for r in rows] == [32, 32]
    assert set(rows[0].counters) == LEGACY_NAMES | IF_TABLE_NAMES
    assert rows[0].counters["ifInOctets"] == counter_value(1, (*IF, 10))
    assert rows[0].counters["ifOutUcastPkts"] == counter_value(1, (*IF, 17))
    assert (rows[0].if_name, rows[0].if_descr) == ("", "GigabitEthernet0/1")
    assert "ifHighSpeed" not in rows[0].gauges


def test_mixed_device_decides_per_interface() -> None:
    session = make_device([FakeIf(1), FakeIf(2, name="Null0", hc=False)])
    rows, _ = rows_of(session)
    assert [(r.if_name, r.counter_bits) for r in rows] == [("Gi0/1", 64), ("Null0", 32)]
    assert set(rows[0].counters) == HC_NAMES | IF_TABLE_NAMES
    assert set(rows[1].counters) == LEGACY_NAMES | IF_TABLE_NAMES


def test_failed_ifxtable_walk_does_not_pass_32_bit_counters_off_as_fallback() -> None:
    rows, _ = rows_of(make_device([FakeIf(1)]), ifx_ok=False)
    assert set(rows[0].counters) == IF_TABLE_NAMES
    assert rows[0].gauges["ifOperStatus"] == 1


def test_counter64_values_stay_exact_ints() -> None:
    top, above_double = 2**64 - 1, 2**53 + 1
    octets_in, octets_out = ifmib.HC_COUNTERS["ifHCInOctets"], ifmib.HC_COUNTERS["ifHCOutOctets"]
    iface = FakeIf(1, overrides={octets_in: top, octets_out: above_double})
    rows, _ = rows_of(make_device([iface]))
    got_in, got_out = rows[0].counters["ifHCInOctets"], rows[0].counters["ifHCOutOctets"]
    assert type(got_in) is int and got_in == top
    assert type(got_out) is int and got_out == above_double
    assert got_out != float(above_double)  # a float would have rounded it to 2**53


def test_utf8_and_non_utf8_aliases_both_come_out() -> None:
    ifaces = [FakeIf(1, alias=VIETNAMESE.encode()), FakeIf(2, alias=b"\x4b\xe1\xff")]
    rows, _ = rows_of(make_device(ifaces))
    assert rows[0].if_alias == VIETNAMESE
    assert rows[1].if_alias == "K\\xe1\\xff"
    assert codecs.escape_decode(rows[1].if_alias.encode())[0] == b"\x4b\xe1\xff"


def test_labels_of_another_ifname_leave_the_row_out() -> None:
    session = make_device([FakeIf(1), FakeIf(2)])
    labels = {1: IfLabels(name="Gi0/1"), 2: IfLabels(name="Gi0/9", alias="someone else")}
    rows, conflicts = ifmib.build_interfaces(
        session.walk_now(ifmib.HOT_IF_COLUMNS), session.walk_now(ifmib.HOT_IFX_COLUMNS), labels
    )
    assert [r.if_index for r in rows] == [1]
    assert conflicts == [2]


def test_walked_ifname_wins_over_an_unknown_label() -> None:
    session = make_device([FakeIf(1)])
    rows, _ = ifmib.build_interfaces(
        session.walk_now(ifmib.HOT_IF_COLUMNS), session.walk_now(ifmib.HOT_IFX_COLUMNS), {}
    )
    assert (rows[0].if_name, rows[0].if_descr, rows[0].if_alias) == ("Gi0/1", "", "")


def test_only_ifxtable_answered_still_gives_rows() -> None:
    session = make_device([FakeIf(1)])
    rows, _ = ifmib.build_interfaces(None, session.walk_now(ifmib.HOT_IFX_COLUMNS), {})
    assert set(rows[0].counters) == HC_NAMES
    assert rows[0].gauges == {}


def test_exceptions_and_foreign_oids_in_a_walk_are_skipped() -> None:
    col = ifmib.IF_DESCR
    walk: dict[Oid, list[VarBind]] = {
        col: [
            VarBind((*col, 1), Tag.OCTET_STRING, b"eth0"),
            VarBind((*col, 2), Tag.NO_SUCH_INSTANCE, None),
            VarBind((*col, 3, 1), Tag.OCTET_STRING, b"two-part index"),
            VarBind((*ifmib.IF_NAME, 4), Tag.OCTET_STRING, b"other column"),
            VarBind((*col, 5), Tag.INTEGER, 7),
        ]
    }
    assert ifmib.column_texts(walk, col) == {1: "eth0"}


def test_scalars_absent_from_the_device_are_none() -> None:
    got = [
        VarBind(ifmib.SYS_UPTIME, Tag.TIMETICKS, 123),
        VarBind(ifmib.IF_NUMBER, Tag.INTEGER, 4),
        VarBind(ifmib.IF_TABLE_LAST_CHANGE, Tag.NO_SUCH_OBJECT, None),
    ]
    assert ifmib.parse_scalars(got) == ifmib.Scalars(123, 4, None)


def test_parse_labels_keeps_unknown_apart_from_empty() -> None:
    session = make_device([FakeIf(1, alias=b"")])
    labels = ifmib.parse_labels(session.walk_now(ifmib.LABEL_IF_COLUMNS), None)
    assert labels == {1: IfLabels(name=None, descr="GigabitEthernet0/1")}
    full = ifmib.parse_labels(None, session.walk_now(ifmib.LABEL_IFX_COLUMNS))
    assert full == {1: IfLabels(name="Gi0/1", alias="", high_speed=1000)}


def test_the_label_cache_shares_one_int_per_interface_speed() -> None:
    # Each of ~25,000 cached interfaces would otherwise keep its own int object of 1000.
    def device() -> FakeSession:  # each speed its own int object, as decoded from the wire
        speeds = [int(text) for text in ("10000", "10000", "1000")]
        return make_device([FakeIf(i + 1, high_speed=s) for i, s in enumerate(speeds)])

    first = ifmib.parse_labels(None, device().walk_now(ifmib.LABEL_IFX_COLUMNS))
    again = ifmib.parse_labels(None, device().walk_now(ifmib.LABEL_IFX_COLUMNS))
    speeds = [labels.high_speed for labels in (*first.values(), *again.values())]
    assert speeds == [10_000, 10_000, 1000, 10_000, 10_000, 1000]
    assert len({id(s) for s in speeds}) == 2
