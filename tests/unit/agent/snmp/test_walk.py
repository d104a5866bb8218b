"""BulkWalk bookkeeping without I/O: columns side by side, truncation, ends, broken agents."""

from __future__ import annotations

import pytest

from netwarden.agent.snmp.ber import decode_oid
from netwarden.agent.snmp.types import Oid, Reason, SnmpError, Tag, VarBind
from netwarden.agent.snmp.walk import BulkWalk

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
