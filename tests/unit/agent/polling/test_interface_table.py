"""The packed interface table: built from the walks' columns by the rules the poller always
had (checked against those rules written plainly, a dict per column and a row at a time), read
back as the same rows, and scraped as the same page."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
from array import array
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from netwarden.agent.metrics import SnapshotCollector, render
from netwarden.agent.metrics.names import IF_COUNTERS, IF_GAUGES
from netwarden.agent.polling import ifmib, interface_table
from netwarden.agent.polling.interface_table import (
    IfLabels,
    InterfaceTable,
    PackedLabels,
    pack_labels,
)
from netwarden.agent.polling.label_cache import LabelCache, names_disagree
from netwarden.agent.polling.poller import DevicePoller
from netwarden.agent.polling.snapshot import (
    DeviceCounters,
    DeviceInfo,
    DeviceSnapshot,
    InterfaceSample,
)
from netwarden.agent.snmp.types import Oid, Tag, VarBind
from netwarden.agent.snmp.walk import Column
from tests.unit.agent.fakes import FakeIf, make_device

Walk = dict[Oid, Column | list[VarBind]]


def reference(
    if_walk: Walk | None, ifx_walk: Walk | None, labels: Mapping[int, IfLabels]
) -> tuple[list[InterfaceSample], list[int]]:
    """The rules as build_interfaces applied them before the table (main 97e47df): a dict per
    walked column, and a row at a time."""

    def ints(walk: Walk | None, columns: Sequence[Oid]) -> dict[Oid, dict[int, int]]:
        return {} if walk is None else {c: ifmib.column_ints(walk, c) for c in columns}

    def pick(
        cols: Mapping[Oid, Mapping[int, int]], named: Mapping[str, Oid], index: int
    ) -> dict[str, int]:
        return {m: cols[c][index] for m, c in named.items() if index in cols.get(c, {})}

    if_cols = ints(if_walk, ifmib.HOT_IF_COLUMNS)
    ifx_cols = ints(ifx_walk, ifmib.HOT_IFX_COLUMNS)
    names = ifmib.hot_names(ifx_walk)
    rows: list[InterfaceSample] = []
    conflicts: list[int] = []
    for index in sorted({*names}.union(*if_cols.values(), *ifx_cols.values())):
        lab = labels.get(index, IfLabels())
        walked = names.get(index)
        if walked is not None and lab.name is not None and walked != lab.name:
            conflicts.append(index)
            continue
        counters = pick(ifx_cols, ifmib.HC_COUNTERS, index)
        bits = 64
        if not counters and ifx_walk is not None:
            counters = pick(if_cols, ifmib.LEGACY_COUNTERS, index)
            bits = 32 if counters else 64
        counters.update(pick(if_cols, ifmib.IF_COUNTERS, index))
        gauges = pick(if_cols, ifmib.IF_GAUGES, index)
        if lab.high_speed is not None:
            gauges["ifHighSpeed"] = lab.high_speed
        name = lab.name if walked is None or walked == lab.name else walked
        sample = InterfaceSample(
            index, name or "", lab.descr or "", lab.alias or "", counters, gauges, bits
        )
        rows.append(sample)
    return rows, conflicts


def column(rows: Mapping[int, int | bytes]) -> Column:
    """A walked column as a session's walk_columns returns it."""
    col = Column()
    for index in sorted(rows):
        value = rows[index]
        col.append(index, Tag.OCTET_STRING if isinstance(value, bytes) else Tag.COUNTER64, value)
    return col


def walk(columns: Mapping[Oid, Mapping[int, int | bytes]], *, packed: bool = True) -> Walk:
    out: Walk = {}
    for oid, rows in columns.items():
        if packed:
            out[oid] = column(rows)
        else:
            tags = {True: Tag.OCTET_STRING, False: Tag.COUNTER64}
            out[oid] = [
                VarBind((*oid, i), tags[isinstance(v, bytes)], v) for i, v in sorted(rows.items())
            ]
    return out


def hot(
    indexes: Sequence[int], *, value: int = 10**12, hc: bool = True, names: bool = True
) -> tuple[Walk, Walk]:
    """The two hot walks of a device whose every interface has every column."""
    if_walk = walk({oid: {i: value + i for i in indexes} for oid in ifmib.HOT_IF_COLUMNS})
    ifx: dict[Oid, Mapping[int, int | bytes]] = {}
    if names:
        ifx[ifmib.IF_NAME] = {i: f"Gi0/{i}".encode() for i in indexes}
    if hc:
        ifx |= {oid: {i: 2**63 + i for i in indexes} for oid in ifmib.HC_COUNTERS.values()}
    return if_walk, walk(ifx)


def labels_of(indexes: Sequence[int]) -> dict[int, IfLabels]:
    return {i: IfLabels(f"Gi0/{i}", f"Gigabit {i}", f"alias {i}", 1000) for i in indexes}


def page(interfaces: Sequence[InterfaceSample]) -> bytes:
    registry = CollectorRegistry()
    snapshot = DeviceSnapshot(DeviceInfo("sw", "s", "switch"), 1.0, 0.1, True)
    snapshot.interfaces = interfaces
    SnapshotCollector(lambda: [(snapshot, DeviceCounters())], version="t", registry=registry)
    return render(registry)


def same_rows(table: Sequence[InterfaceSample], rows: Sequence[InterfaceSample]) -> None:
    assert list(table) == list(rows)
    # Dicts compare without their order: the rows' keys must come in the order they did.
    assert [(list(t.counters), list(t.gauges)) for t in table] == [
        (list(r.counters), list(r.gauges)) for r in rows
    ]


def test_the_columns_are_the_exported_families_in_the_pollers_order() -> None:
    assert set(interface_table.COUNTERS) == {spec.name for spec in IF_COUNTERS}
    assert set(interface_table.GAUGES) == {spec.name for spec in IF_GAUGES}
    assert tuple(ifmib.HC_COUNTERS) == interface_table.HC_NAMES
    assert tuple(ifmib.LEGACY_COUNTERS) == interface_table.LEGACY_NAMES
    assert tuple(ifmib.IF_COUNTERS) == interface_table.ALWAYS_NAMES
    assert tuple(ifmib.IF_GAUGES) == interface_table.STATUS_NAMES


def test_a_full_device_is_copied_whole_into_one_buffer_of_words() -> None:
    indexes = [1, 2, 3, 1000]
    if_walk, ifx_walk = hot(indexes)
    table, conflicts = ifmib.build_interfaces(if_walk, ifx_walk, labels_of(indexes))
    same_rows(table, reference(if_walk, ifx_walk, labels_of(indexes))[0])
    assert conflicts == []
    assert isinstance(table._values, array) and table._values.typecode == "Q"
    assert len(table._values) == 4 * 16  # HC, always-on, status, speed: no legacy column
    assert table._mask is None and table._bits is None
    assert table.column("ifInOctets") is None


def test_a_row_that_conflicts_is_left_out_and_the_others_keep_their_values() -> None:
    indexes = [1, 2, 3]
    if_walk, ifx_walk = hot(indexes)
    for oid in ifmib.HC_COUNTERS.values():  # ifIndex 4: in ifXTable only
        ifx_walk[oid] = column({i: 2**63 + i for i in (1, 2, 3, 4)})
    labels = labels_of(indexes) | {2: IfLabels("Gi0/9", "someone else", "x", 10)}
    table, conflicts = ifmib.build_interfaces(if_walk, ifx_walk, labels)
    assert conflicts == [2]
    assert [(r.if_index, r.if_name) for r in table] == [(1, "Gi0/1"), (3, "Gi0/3"), (4, "")]
    same_rows(table, reference(if_walk, ifx_walk, labels)[0])
    # The ifTable columns have as many rows as the table (1, 2, 3 against 1, 3, 4): each
    # value must still land on its own ifIndex.
    assert table[1].counters["ifHCInOctets"] == 2**63 + 3
    assert table[1].counters["ifInErrors"] == 10**12 + 3
    assert "ifInErrors" not in table[2].counters


def test_32_bit_fallback_for_the_interfaces_without_hc_counters() -> None:
    indexes = [1, 2, 3]
    if_walk, ifx_walk = hot(indexes)
    for oid in ifmib.HC_COUNTERS.values():  # interface 2 has no ifHC* counter
        ifx_walk[oid] = column({1: 2**63 + 1, 3: 2**63 + 3})
    table, _ = ifmib.build_interfaces(if_walk, ifx_walk, labels_of(indexes))
    same_rows(table, reference(if_walk, ifx_walk, labels_of(indexes))[0])
    assert [r.counter_bits for r in table] == [64, 32, 64]
    assert set(table[1].counters) == {*ifmib.LEGACY_COUNTERS, *ifmib.IF_COUNTERS}
    assert "ifInOctets" not in table[0].counters  # a 64-bit row never carries both
    text = page(table).decode()
    assert 'netwarden_if_high_capacity{device="sw",ifIndex="2",ifName="Gi0/2"} 0' in text
    assert 'ifInOctets{device="sw",site="s",role="switch",ifIndex="1"' not in text
    assert 'ifInOctets{device="sw",site="s",role="switch",ifIndex="2"' in text


def test_a_failed_ifxtable_walk_gives_no_32_bit_counters() -> None:
    indexes = [1, 2]
    if_walk, _ = hot(indexes)
    table, _ = ifmib.build_interfaces(if_walk, None, labels_of(indexes))
    same_rows(table, reference(if_walk, None, labels_of(indexes))[0])
    assert [r.counter_bits for r in table] == [64, 64]
    assert set(table[0].counters) == set(ifmib.IF_COUNTERS)  # no ifInOctets under any name
    assert table[0].if_name == "Gi0/1"  # from the labels: no ifName was walked


def test_a_negative_value_keeps_the_device_exact() -> None:
    indexes = [1, 2]
    if_walk, ifx_walk = hot(indexes)
    oper = ifmib.IF_GAUGES["ifOperStatus"]
    if_walk[oper] = [VarBind((*oper, 1), Tag.INTEGER, -2), VarBind((*oper, 2), Tag.INTEGER, 1)]
    table, _ = ifmib.build_interfaces(if_walk, ifx_walk, labels_of(indexes))
    same_rows(table, reference(if_walk, ifx_walk, labels_of(indexes))[0])
    assert table[0].gauges["ifOperStatus"] == -2
    assert table[1].counters["ifHCInOctets"] == 2**63 + 2
    assert 'ifOperStatus{device="sw",site="s",role="switch",ifIndex="1",' in page(table).decode()
    assert page(table) == page(list(table))


def test_an_interface_in_one_column_only() -> None:
    indexes = [1, 2]
    if_walk, ifx_walk = hot(indexes)
    errors = ifmib.IF_COUNTERS["ifInErrors"]
    if_walk[errors] = column({1: 5, 2: 6, 7: 77})  # ifIndex 7: in this column and no other
    table, _ = ifmib.build_interfaces(if_walk, ifx_walk, labels_of(indexes))
    same_rows(table, reference(if_walk, ifx_walk, labels_of(indexes))[0])
    assert [r.if_index for r in table] == [1, 2, 7]
    assert table[2] == InterfaceSample(7, "", "", "", {"ifInErrors": 77}, {}, 64)
    lines = [line for line in page(table).decode().splitlines() if 'ifIndex="7"' in line]
    assert [line.split("{")[0] for line in lines] == ["ifInErrors", "netwarden_if_high_capacity"]


def test_rows_made_on_access_read_as_the_list_they_were() -> None:
    indexes = [1, 2]
    table, _ = ifmib.build_interfaces(*hot(indexes), labels_of(indexes))
    rows = list(table)
    assert table == rows and rows == table and table[-1] == rows[-1] and table[:1] == rows[:1]
    with pytest.raises(IndexError):
        table[2]
    snapshot = DeviceSnapshot(DeviceInfo("sw", "s", "switch"), 1.0, 0.1, True, interfaces=table)
    listed = dataclasses.replace(snapshot, interfaces=rows)
    # `poll --output json` (dataclasses.asdict deep-copies the table into its rows).
    as_json = json.dumps(dataclasses.asdict(snapshot))
    assert as_json == json.dumps(dataclasses.asdict(listed))
    assert copy.deepcopy(table) == [dataclasses.asdict(r) for r in rows]


def test_the_table_shares_the_label_caches_strings() -> None:
    indexes = [1, 2]
    labels = labels_of(indexes)
    table, _ = ifmib.build_interfaces(*hot(indexes), labels)
    assert table.labels(0)[2] is labels[1].alias


indexes_st = st.lists(st.integers(1, 12), min_size=0, max_size=6, unique=True)
values_st = st.one_of(
    st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2**53 + 1, 2**64 - 1, -1, -(2**31)])
)


@st.composite
def device(draw: st.DrawFn) -> tuple[Walk | None, Walk | None, dict[int, IfLabels]]:
    """Hot walks and labels of a device where anything may be missing or odd."""
    base = draw(indexes_st)

    def rows(kinds: st.SearchStrategy[int | bytes]) -> dict[int, int | bytes]:
        some = draw(st.lists(st.sampled_from(base), unique=True)) if base else []
        extra = draw(st.lists(st.integers(1, 12), max_size=1))
        return {i: draw(kinds) for i in (*some, *extra)}

    names = st.sampled_from([b"Gi0/1", b"Gi0/2", b"", b"\xff"])
    packed = draw(st.booleans())
    full = draw(st.booleans())  # every column with every row (the whole-column copy)
    if_cols = {
        oid: ({i: 10 + i for i in base} if full else rows(values_st))
        for oid in ifmib.HOT_IF_COLUMNS
    }
    ifx_cols: dict[Oid, Mapping[int, int | bytes]] = {ifmib.IF_NAME: rows(names)}
    for oid in ifmib.HC_COUNTERS.values():
        ifx_cols[oid] = {i: 2**40 + i for i in base} if full else rows(values_st)
    labels = {
        i: IfLabels(
            draw(st.none() | st.sampled_from(["Gi0/1", "Gi0/2", ""])),
            draw(st.none() | st.just(f"d{i}")),
            draw(st.none() | st.just('a\\"')),
            draw(st.none() | st.sampled_from([10, 1000, 2**40])),
        )
        for i in draw(st.lists(st.integers(1, 12), unique=True, max_size=6))
    }
    if_walk = None if draw(st.booleans()) and not full else walk(if_cols, packed=packed)
    ifx_walk = None if draw(st.integers(0, 3)) == 0 else walk(ifx_cols, packed=packed)
    return if_walk, ifx_walk, labels


@settings(max_examples=300, deadline=None)
@given(device())
def test_any_device_gives_the_rows_and_the_page_of_the_rules(
    got: tuple[Walk | None, Walk | None, dict[int, IfLabels]],
) -> None:
    if_walk, ifx_walk, labels = got
    rows, expected = reference(if_walk, ifx_walk, labels)
    values = [v for r in rows for v in (*r.counters.values(), *r.gauges.values())]
    fits = all(0 <= v < 2**64 for v in values)
    for cached in (labels, pack_labels(labels)):  # as given, and as the label cache keeps them
        table, conflicts = ifmib.build_interfaces(if_walk, ifx_walk, cached)
        assert conflicts == expected
        same_rows(table, rows)
        assert page(table) == page(rows)
        # Packed words unless a value does not fit: a list of ints is the slow, big fallback.
        assert isinstance(table._values, array) == fits


labels_st = st.dictionaries(
    st.integers(0, 2**32 - 1),
    st.builds(
        IfLabels,
        st.none() | st.text(max_size=8),
        st.none() | st.text(max_size=8),
        st.none() | st.text(max_size=8),
        st.none() | st.integers(0, 2**32 - 1),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(labels_st, st.dictionaries(st.integers(0, 2**32 - 1), st.text(max_size=8), max_size=4))
def test_packed_labels_read_as_the_dict_they_were_made_of(
    labels: dict[int, IfLabels], walked: dict[int, str]
) -> None:
    packed = pack_labels(labels)
    assert isinstance(packed, PackedLabels)
    assert packed == labels and dict(packed) == labels and len(packed) == len(labels)
    assert list(packed) == sorted(labels)  # the order parse_labels gives them in
    for index in (*labels, *walked, 2**32 - 1):
        assert (index in packed) == (index in labels)
        assert packed.get(index) == labels.get(index)
    assert names_disagree(packed, walked) == names_disagree(labels, walked)
    for index, name in walked.items():
        cached = labels.get(index, IfLabels()).name
        assert packed.name_matches(index, name) == (None if cached is None else cached == name)


def test_packed_labels_keep_unknown_apart_from_empty_and_zero() -> None:
    labels = {
        1: IfLabels("Gi0/1", "", None, 0),
        2: IfLabels(None, "Kết nối", "", None),
        7: IfLabels("", None, "x", 10**5),
    }
    packed = pack_labels(labels)
    assert [packed[i] for i in (1, 2, 7)] == [labels[i] for i in (1, 2, 7)]
    assert packed.name_matches(2, "") is None and packed.name_matches(7, "") is True
    assert packed.name_matches(1, "Gi0/") is False and packed.name_matches(3, "x") is None
    assert packed.speed_column(array("I", [1, 2, 7])) is None  # ifIndex 2's speed is unknown
    with pytest.raises(KeyError):
        packed[3]


def test_labels_that_do_not_pack_stay_a_dict() -> None:
    for odd in ({2**32: IfLabels("x")}, {1: IfLabels("x", high_speed=2**32)}):
        kept = pack_labels(odd)
        assert type(kept) is dict and kept == odd


def test_the_cache_keeps_its_labels_packed_and_the_polls_table_shares_them() -> None:
    indexes = [1, 2, 3]
    cache = LabelCache()
    cache.commit(labels_of(indexes), None, 0.0)
    assert isinstance(cache.entries, PackedLabels)
    assert cache.entries == labels_of(indexes)
    assert cache.entries.speed_column(array("I", indexes)) == array("I", [1000] * 3)
    assert cache.entries.speed_column(array("I", [1, 2])) is None  # not the table's rows
    table, _ = ifmib.build_interfaces(*hot(indexes), cache.entries)
    same_rows(table, reference(*hot(indexes), labels_of(indexes))[0])
    assert table._labels is cache.entries
    assert isinstance(table._values, array)  # the speeds (an array of another type) copied
    assert page(table) == page(list(table))  # its labels read in one pass by the scrape


def test_a_poll_that_refreshed_the_labels_keeps_only_the_packed_ones() -> None:
    # The refresh's own dict of IfLabels and strings must die with the poll, not live on in
    # its table until the next one.
    session = make_device([FakeIf(1, alias="uplink"), FakeIf(2)])
    poller = DevicePoller(DeviceInfo("sw", "s", "switch"), session)
    for _ in range(2):  # the refresh, then a poll from the cache
        snapshot = asyncio.run(poller.poll(timeout=5.0))
        table = snapshot.interfaces
        assert isinstance(table, InterfaceTable) and table._labels is poller._cache.entries
        assert [(r.if_name, r.if_alias) for r in table] == [("Gi0/1", "uplink"), ("Gi0/2", "")]
