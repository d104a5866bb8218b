"""RowValues: an interface row's counters or gauges, compact, and still a mapping everywhere
a dict was (the exposition, `poll` tables, `poll --output json`)."""

from __future__ import annotations

import dataclasses
import json
from array import array

import pytest

from netwarden.agent.polling.row_values import RowValues
from netwarden.agent.polling.snapshot import DeviceInfo, DeviceSnapshot, InterfaceSample


def test_it_reads_like_the_dict_it_was_built_from() -> None:
    pairs = {"ifHCInOctets": 2**64 - 1, "ifInErrors": 3}
    row = RowValues(pairs)
    assert row == pairs and dict(row) == pairs and row.plain() == pairs
    assert list(row.items()) == list(pairs.items())
    assert row["ifInErrors"] == 3 and row.get("ifOutErrors", "") == ""
    assert len(row) == 2 and "ifHCInOctets" in row
    with pytest.raises(KeyError):
        row["ifOutErrors"]


def test_rows_of_one_shape_share_their_names() -> None:
    a = RowValues({"ifOperStatus": 1, "ifAdminStatus": 1})
    b = RowValues({"ifOperStatus": 2, "ifAdminStatus": 1})
    assert a._names is b._names  # the point: one tuple of names for every such row


def test_poll_output_json_is_unchanged() -> None:
    counters = {"ifHCInOctets": 12, "ifInErrors": 0}
    gauges = {"ifOperStatus": 1}
    snapshot = DeviceSnapshot(DeviceInfo("sw-1", "s", "switch"), 1.0, 0.1, True)
    for values in ((counters, gauges), (RowValues(counters), RowValues(gauges))):
        snapshot.interfaces = [InterfaceSample(1, "Gi0/1", "d", "a", *values)]
        text = json.dumps(dataclasses.asdict(snapshot))
        assert json.loads(text)["interfaces"][0]["counters"] == counters


def test_values_are_packed_machine_words_when_they_fit() -> None:
    # The point: no int object per value is kept between polls.
    row = RowValues({"ifHCInOctets": 2**64 - 1, "ifInErrors": 2**40})
    assert isinstance(row._values, array) and row._values.typecode == "Q"
    assert row["ifHCInOctets"] == 2**64 - 1 and type(row["ifInErrors"]) is int


@pytest.mark.parametrize("odd", [-1, 2**64, 2.5])
def test_a_value_that_does_not_fit_keeps_the_row_exact(odd: float) -> None:
    pairs = {"ifOperStatus": 1, "ifOdd": odd}
    row = RowValues(pairs)  # type: ignore[arg-type]  # a device's odd value, not an int
    assert isinstance(row._values, tuple)
    assert row == pairs and row["ifOdd"] == odd
