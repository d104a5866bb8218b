"""BulkWalk bookkeeping without I/O: columns side by side, truncation, ends, broken agents."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from netwarden.agent.snmp.ber import SEQUENCE, decode_oid, decode_varbinds, encode_varbinds, expect
from netwarden.agent.snmp.types import Oid, Reason, SnmpError, Tag, VarBind
from netwarden.agent.snmp.walk import BulkWalk, columns_of

COL1: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)
COL2: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)


def vb(oid: Oid, value: int = 0, tag: Tag = Tag.INTEGER) -> VarBind:
    return VarBind(oid, tag, value)


def test_each_request_names_every_unfinished_column_at_its_last_oid() -> None:
    walk = BulkWalk([COL1, COL2])
    assert [decode_oid(c) for c in walk.request_oids()] == [COL1, COL2]
    walk.consume([vb((*COL1, 1)), vb((*COL2, 1)), vb((*COL1, 200)), vb((*COL2, 200))])
    assert [decode_oid(c) for c in walk.request_oids()] == [(*COL1, 200), (*COL2, 200)]


def test_a_column_finishes_when_it_leaves_its_subtree_and_drops_out_of_requests() -> None:
    walk = BulkWalk([COL1, COL2])
    walk.consume([vb((*COL1, 1)), vb((*COL2, 1)), vb((*COL2, 1)), vb((*COL2, 2))])
    assert [decode_oid(c) for c in walk.request_oids()] == [(*COL2, 2)]
    walk.consume([vb((1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1))])
    assert walk.done
    assert walk.results() == {COL1: [vb((*COL1, 1))], COL2: [vb((*COL2, 1)), vb((*COL2, 2))]}


def test_end_of_mib_view_finishes_a_column() -> None:
    walk = BulkWalk([COL2])
    walk.consume([vb((*COL2, 1)), VarBind((*COL2, 1), Tag.END_OF_MIB_VIEW, None)])
    assert walk.done
    assert walk.results() == {COL2: [vb((*COL2, 1))]}


def test_a_row_cut_short_leaves_the_missing_columns_where_they_were() -> None:
    walk = BulkWalk([COL1, COL2])
    walk.consume([vb((*COL1, 1)), vb((*COL2, 1)), vb((*COL1, 2))])  # truncated mid-row
    assert [decode_oid(c) for c in walk.request_oids()] == [(*COL1, 2), (*COL2, 1)]


def test_duplicate_roots_are_walked_once() -> None:
    walk = BulkWalk([COL1, COL1])
    assert len(walk.request_oids()) == 1


@pytest.mark.parametrize(
    "answer",
    [[vb((*COL1, 5)), vb((*COL1, 5))], [vb((*COL1, 5)), vb((*COL1, 4))], [vb(COL1)]],
    ids=["repeated", "decreasing", "the root itself"],
)
def test_oids_that_do_not_increase_are_decode_errors(answer: list[VarBind]) -> None:
    walk = BulkWalk([COL1])
    with pytest.raises(SnmpError) as err:
        walk.consume(answer)
    assert err.value.reason == Reason.decode


def test_an_empty_answer_is_a_decode_error_not_a_loop() -> None:
    walk = BulkWalk([COL1, COL2])
    with pytest.raises(SnmpError) as err:
        walk.consume([])
    assert err.value.reason == Reason.decode


def test_large_indices_are_requested_in_their_multi_octet_encoding() -> None:
    walk = BulkWalk([COL1])
    walk.consume([vb((*COL1, 2**31 + 5, 7, 300))])
    assert decode_oid(walk.request_oids()[0]) == (*COL1, 2**31 + 5, 7, 300)


def test_every_kind_of_row_comes_back_exactly_as_the_agent_sent_it() -> None:
    # Packed rows first, then each thing that does not pack: the column must turn to lists
    # without losing or changing a row (tag included).
    rows = [
        vb((*COL1, 1), 7, Tag.COUNTER32),
        vb((*COL1, 2), 2**64 - 1, Tag.COUNTER64),
        vb((*COL1, 3), -5),
        VarBind((*COL1, 4), Tag.OCTET_STRING, b"\xff eth0"),
        VarBind((*COL1, 5), Tag.OBJECT_IDENTIFIER, (1, 3, 6, 1, 9)),
        VarBind((*COL1, 6), Tag.NULL, None),
        vb((*COL1, 2**32 + 1), 9, Tag.GAUGE32),
        vb((*COL1, 2**32 + 1, 4, 2), 0, Tag.TIMETICKS),
    ]
    walk = BulkWalk([COL1])
    walk.consume([*rows, vb((1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1))])
    assert walk.results() == {COL1: rows}
    assert [type(t) for _, t, _ in walk.columns()[COL1].rows()] == [Tag] * len(rows)
    assert walk.columns() == columns_of({COL1: rows})


def test_by_index_gives_the_single_arc_rows_only() -> None:
    walk = BulkWalk([COL1])
    walk.consume([vb((*COL1, 1), 10), vb((*COL1, 2, 1), 20), vb((*COL1, 3), 30)])
    assert walk.columns()[COL1].by_index() == {1: 10, 3: 30}
    packed = BulkWalk([COL2])
    packed.consume([vb((*COL2, 1), 10), vb((*COL2, 2), 2**40)])
    assert packed.columns()[COL2].by_index() == {1: 10, 2: 2**40}


def test_columns_of_drops_exceptions_and_foreign_oids_as_a_walk_does() -> None:
    rows = [vb((*COL1, 1), 1), VarBind((*COL1, 2), Tag.NO_SUCH_INSTANCE, None), vb((*COL2, 1))]
    assert columns_of({COL1: rows})[COL1].by_index() == {1: 1}


def test_a_walk_in_flight_keeps_about_sixteen_bytes_a_row_not_its_varbinds() -> None:
    # 50 walks of ~1,000 varbinds are in flight at once in a 500-device agent: as VarBinds
    # with their OID tuples and ints each row held ~200 bytes until the walk ended.
    rows, reps, cols = 1_000, 25, [(*COL1[:-1], c) for c in range(10, 20)]
    answers = []  # GETBULK answers of 25 repetitions, as the client hands them over
    for first in range(1, rows + 1, reps):
        wire = encode_varbinds(
            [
                VarBind((*col, i), Tag.COUNTER64, 2**40 + i * 7_919)
                for i in range(first, first + reps)
                for col in cols
            ]
        )
        answers.append((wire, *expect(wire, 0, len(wire), SEQUENCE)))
    # One answer decoded untraced first: CPython's tuple free list then holds untraced OID
    # tuples, which each answer reuses, so only what the walk keeps is traced.
    decode_varbinds(*answers[0])
    gc.collect()
    tracemalloc.start()
    try:
        walk = BulkWalk(cols)
        before = tracemalloc.get_traced_memory()[0]
        for answer in answers:
            walk.consume(decode_varbinds(*answer))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert sum(len(c) for c in walk.columns().values()) == rows * len(cols)
    assert held < 24 * rows * len(cols), f"{held / (rows * len(cols)):.0f} bytes a row"
