"""Remote-write encoding, checked with an independent decoder (tests/unit/agent/push/wire.py)
and against the generated prompb messages."""

from __future__ import annotations

import math

import cramjam
from hypothesis import given, settings
from hypothesis import strategies as st

from netwarden.agent.metrics.family import decode_labels, encode_labels
from netwarden.agent.push.encode import (
    Rows,
    SeriesEncoder,
    compress,
    label_pairs,
    samples_in,
    split,
    varint,
)
from netwarden.agent.push.prompb import remote_pb2, types_pb2
from netwarden.agent.push.samples import rows_of, timestamp_ms
from tests.unit.agent.metrics.synthetic import full_registry
from tests.unit.agent.push.wire import snappy_block_decode, write_request

TS = 1_700_000_123_456


def _rows() -> list[Rows]:
    wan = encode_labels((("device", "sw-1"), ("site", "so-khcn"), ("ifIndex", "3"),
                         ("ifAlias", 'TSLCD "Sở" \\ KH&CN\nx')))  # fmt: skip
    return [
        Rows("ifHCInOctets", [wan], [2**64 - 1]),
        Rows("ifOperStatus", [wan], [0]),
        Rows("netwarden_agent_build_info", [encode_labels((("version", "1.2"),))], [1]),
        Rows("odd", [b"", b""], [-0.0, math.nan]),
    ]


def test_independent_decoder_reads_labels_values_and_timestamps() -> None:
    body, count = SeriesEncoder("agent-a", "so-khcn").encode(_rows(), TS)
    assert count == 5
    series = write_request(snappy_block_decode(compress(body)))
    assert len(series) == 5
    labels, samples = series[0]
    assert labels == sorted(labels)  # remote write: sorted by name
    assert dict(labels) == {"__name__": "ifHCInOctets", "agent": "agent-a", "device": "sw-1",
                            "ifAlias": 'TSLCD "Sở" \\ KH&CN\nx', "ifIndex": "3",
                            "site": "so-khcn"}  # fmt: skip
    assert samples == [(float(2**64 - 1), TS)]
    assert series[1][1] == [(0.0, TS)]
    build = dict(series[2][0])
    assert build["site"] == "so-khcn" and build["agent"] == "agent-a"  # added where missing
    assert math.copysign(1, series[3][1][0][0]) == -1
    assert math.isnan(series[4][1][0][0])


def test_bytes_are_what_the_generated_messages_serialize() -> None:
    body, _ = SeriesEncoder("agent-a", "dc").encode(_rows(), TS)
    request = remote_pb2.WriteRequest()
    for row in _rows():
        for labels, value in zip(row.labels, row.values, strict=True):
            pairs = label_pairs(row.name, decode_labels(labels), "agent-a", "dc")
            request.timeseries.append(types_pb2.TimeSeries(
                labels=[types_pb2.Label(name=k, value=v) for k, v in pairs],
                samples=[types_pb2.Sample(value=float(value), timestamp=TS)]))  # fmt: skip
    assert body == request.SerializeToString()
    assert samples_in(body) == 5


def test_a_series_with_its_own_agent_or_site_keeps_them() -> None:
    own = encode_labels((("agent", "other"), ("site", "elsewhere")))
    body, _ = SeriesEncoder("agent-a", "dc").encode([Rows("x", [own], [1])], TS)
    assert dict(write_request(body)[0][0]) == {"__name__": "x", "agent": "other",
                                               "site": "elsewhere"}  # fmt: skip


def test_blocks_joined_are_one_request() -> None:
    encoder = SeriesEncoder("agent-a", "dc")
    first, n1 = encoder.encode(_rows(), TS)
    second, n2 = encoder.encode(_rows(), TS + 1000)
    joined = write_request(first + second)
    assert len(joined) == n1 + n2
    assert [s[1][0][1] for s in joined] == [TS] * n1 + [TS + 1000] * n2


def test_split_keeps_every_series_in_order() -> None:
    body, _count = SeriesEncoder("agent-a", "dc").encode(_rows(), TS)
    first, second, n_first, n_second = split(body)
    assert (n_first, n_second) == (2, 3)
    assert first + second == body  # the same series, byte for byte (NaN != NaN as a value)


def test_snappy_is_the_block_format_not_the_framed_one() -> None:
    body, _ = SeriesEncoder("agent-a", "dc").encode(_rows(), TS)
    wire = compress(body)
    assert wire[: len(varint(len(body)))] == varint(len(body))  # block format: length first
    assert not wire.startswith(b"\xff\x06\x00\x00sNaPpY")  # the framed format's stream id
    assert bytes(cramjam.snappy.decompress_raw(wire)) == body


def test_the_agent_registry_encodes_every_family() -> None:
    rows = rows_of(full_registry().collect())
    body, count = SeriesEncoder("agent-a", "dc").encode(rows, timestamp_ms(1.7e9))
    names = {dict(labels)["__name__"] for labels, _ in write_request(body)}
    assert count == sum(len(r.values) for r in rows)
    assert {"ifHCInOctets", "ifInOctets", "netwarden_device_up", "netwarden_link_info"} <= names


# No deadline: a loaded machine stalls an example past hypothesis's 200 ms default.
@settings(deadline=None)
@given(st.integers(min_value=1, max_value=2**63 - 1))  # 0 is omitted by protobuf
def test_varint_matches_protobuf(number: int) -> None:
    assert varint(number) == types_pb2.Sample(timestamp=number).SerializeToString()[1:]


def test_the_label_cache_is_bounded() -> None:
    encoder = SeriesEncoder("a", "s", cache_limit=10)
    rows = [Rows("m", [encode_labels((("i", str(i)),)) for i in range(25)], [1.0] * 25)]
    body, count = encoder.encode(rows, TS)
    assert count == 25 and len(write_request(body)) == 25
    assert len(encoder._heads) <= 10
