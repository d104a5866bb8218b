"""Remote-write 1.0 bodies: samples as a serialized ``prompb.WriteRequest``, snappy-compressed.

A WriteRequest is a list of TimeSeries (labels + samples). Protobuf concatenation is merging,
so the serialized requests of several blocks, joined, are one valid request holding all their
series: the spool keeps each block as the request bytes it will send, and a batch is a join.

Encoding is on every poll's path, so a series' labels are serialized once (by the generated
messages) and kept: each poll then adds only its sample, 8 bytes of value and the block's
timestamp. The bytes are exactly what ``WriteRequest.SerializeToString()`` gives for the same
series (the unit tests check it, and decode with an independent decoder).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cramjam

from netwarden.agent.metrics.family import Labels, decode_labels, encode_labels
from netwarden.agent.push.prompb import remote_pb2, types_pb2

Pairs = tuple[tuple[str, str], ...]
CACHE_LIMIT = 500_000  # series whose serialized labels are kept (~300 B each)
_DOUBLE = struct.Struct("<d")


@dataclass(frozen=True, slots=True)
class Rows:
    """One metric's series: its name, label sets as the text format writes them, values."""

    name: str
    labels: Sequence[Labels]
    values: Sequence[float]


def varint(number: int) -> bytes:
    """``number`` (>= 0) as a protobuf base-128 varint."""
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    return tag + varint(len(payload)) + payload


class SeriesEncoder:
    """Encodes rows into WriteRequest bytes for one agent: ``extra`` labels (``agent``, and
    ``site`` where a series has none) are added to every series that lacks them."""

    def __init__(self, agent: str, site: str, *, cache_limit: int = CACHE_LIMIT) -> None:
        self.agent, self.site = agent, site
        self._heads: dict[tuple[str, Labels], bytes] = {}
        self._limit = cache_limit

    def encode(self, rows: Iterable[Rows], timestamp_ms: int) -> tuple[bytes, int]:
        """The request bytes of ``rows`` at ``timestamp_ms``, and how many samples it holds."""
        tail = types_pb2.Sample(timestamp=timestamp_ms).SerializeToString()
        parts: list[bytes] = []
        heads = self._heads
        for metric in rows:
            name = metric.name
            for labels, value in zip(metric.labels, metric.values, strict=True):
                head = heads.get((name, labels))
                if head is None:
                    head = self._head(name, labels)
                sample = _sample(float(value), tail, timestamp_ms)
                parts.append(_field(b"\x0a", head + _field(b"\x12", sample)))
        return b"".join(parts), len(parts)

    def _head(self, name: str, labels: Labels) -> bytes:
        if len(self._heads) >= self._limit:
            self._heads.clear()  # a huge agent: rebuild as needed rather than grow without end
        pairs = label_pairs(name, decode_labels(labels), self.agent, self.site)
        series = types_pb2.TimeSeries(labels=[types_pb2.Label(name=k, value=v) for k, v in pairs])
        head = series.SerializeToString()
        self._heads[(name, labels)] = head
        return head


def _sample(value: float, tail: bytes, timestamp_ms: int) -> bytes:
    """A Sample's bytes: the value (field 1, fixed64) then the block's timestamp ``tail``."""
    if value or value != value:  # noqa: PLR0124 - NaN is a value to send
        return b"\x09" + _DOUBLE.pack(value) + tail
    # 0.0 and -0.0: protobuf omits a zero value; let it decide which
    return types_pb2.Sample(value=value, timestamp=timestamp_ms).SerializeToString()


def label_pairs(name: str, labels: dict[str, str], agent: str, site: str) -> Pairs:
    """The series' full label set, sorted by name as remote write requires: ``__name__``,
    its labels, ``agent`` unless it has one, ``site`` unless it has one."""
    full = {"__name__": name, **labels}
    full.setdefault("agent", agent)
    full.setdefault("site", site)
    return tuple(sorted(full.items()))


def rows_of_pairs(name: str, series: Iterable[tuple[Pairs, float]]) -> Rows:
    """Rows built from label pairs (for metrics that are not the agent's own families)."""
    labels, values = [], []
    for pairs, value in series:
        labels.append(encode_labels(pairs))
        values.append(value)
    return Rows(name, labels, values)


def compress(body: bytes) -> bytes:
    """Snappy *block* format, as remote write requires (not the framed format)."""
    return bytes(cramjam.snappy.compress_raw(body))


def decompress(body: bytes) -> bytes:
    return bytes(cramjam.snappy.decompress_raw(body))


def samples_in(body: bytes) -> int:
    """How many samples the request ``body`` holds."""
    request = remote_pb2.WriteRequest()
    request.ParseFromString(body)
    return _samples(request.timeseries)


def split(body: bytes) -> tuple[bytes, bytes, int, int]:
    """``body`` as two requests of half its series each, and their sample counts (a receiver
    refused it: halving isolates the refused samples in a few requests)."""
    request = remote_pb2.WriteRequest()
    request.ParseFromString(body)
    half = len(request.timeseries) // 2
    first = remote_pb2.WriteRequest(timeseries=request.timeseries[:half])
    second = remote_pb2.WriteRequest(timeseries=request.timeseries[half:])
    return (
        first.SerializeToString(),
        second.SerializeToString(),
        _samples(first.timeseries),
        _samples(second.timeseries),
    )


def _samples(series: Iterable[types_pb2.TimeSeries]) -> int:
    return sum(len(s.samples) for s in series)
