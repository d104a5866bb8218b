"""An interface row's counters and gauges, compact, and still a mapping everywhere a dict was
(the exposition, `poll` tables, `poll --output json`). They were ``RowValues`` (a packed
mapping a row); they are now the cells of the device's packed table (``interface_table``), and
a row's mappings are made on access: these are the same promises, kept by the table."""

from __future__ import annotations

import dataclasses
import json
from array import array

import pytest

from netwarden.agent.polling.interface_table import InterfaceTable
from netwarden.agent.polling.snapshot import DeviceInfo, DeviceSnapshot, InterfaceSample


def _table(counters: dict[str, float], gauges: dict[str, float]) -> InterfaceTable:
    row = InterfaceSample(1, "Gi0/1", "d", "a", counters, gauges)  # type: ignore[arg-type]
    return InterfaceTable.from_samples([row])


def test_it_reads_like_the_dict_it_was_built_from() -> None:
    pairs = {"ifHCInOctets": 2**64 - 1, "ifInErrors": 3}
    row = _table(pairs, {})[0].counters
    assert row == pairs and dict(row) == pairs
    assert list(row.items()) == list(pairs.items())
    assert row["ifInErrors"] == 3 and row.get("ifOutErrors", "") == ""
    assert len(row) == 2 and "ifHCInOctets" in row
    with pytest.raises(KeyError):
        row["ifOutErrors"]


def test_rows_of_one_shape_share_their_names() -> None:
    a = _table({}, {"ifOperStatus": 1, "ifAdminStatus": 1})
    b = _table({}, {"ifOperStatus": 2, "ifAdminStatus": 1})
    assert a._slots is b._slots  # the point: one layout of columns for every such table


def test_poll_output_json_is_unchanged() -> None:
    counters = {"ifHCInOctets": 12, "ifInErrors": 0}
    gauges = {"ifOperStatus": 1}
    snapshot = DeviceSnapshot(DeviceInfo("sw-1", "s", "switch"), 1.0, 0.1, True)
    listed = [InterfaceSample(1, "Gi0/1", "d", "a", counters, gauges)]
    texts = []
    for interfaces in (listed, InterfaceTable.from_samples(listed)):
        snapshot.interfaces = interfaces
        text = json.dumps(dataclasses.asdict(snapshot))
        assert json.loads(text)["interfaces"][0]["counters"] == counters
        texts.append(text)
    assert texts[0] == texts[1]


def test_values_are_packed_machine_words_when_they_fit() -> None:
    # The point: no int object per value is kept between polls.
    table = _table({"ifHCInOctets": 2**64 - 1, "ifInErrors": 2**40}, {})
    assert isinstance(table._values, array) and table._values.typecode == "Q"
    row = table[0].counters
    assert row["ifHCInOctets"] == 2**64 - 1 and type(row["ifInErrors"]) is int


@pytest.mark.parametrize("odd", [-1, 2**64, 2.5])
def test_a_value_that_does_not_fit_keeps_the_row_exact(odd: float) -> None:
    table = _table({}, {"ifOperStatus": 1, "ifLastChange": odd})
    assert isinstance(table._values, list)
    assert table[0].gauges == {"ifOperStatus": 1, "ifLastChange": odd}
    assert table[0].gauges["ifLastChange"] == odd
