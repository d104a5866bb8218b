"""An independent reader of remote-write bodies, written from the formats' specifications:
snappy's block format and protobuf's wire format, in plain Python (no cramjam, no protobuf),
so the encoder's output is checked by something that shares no code with it."""

from __future__ import annotations

import struct


def snappy_block_decode(data: bytes) -> bytes:
    """Snappy block format: a varint length, then literals and back-references."""
    length, pos = _varint(data, 0)
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(data[pos : pos + extra], "little")
                pos += extra
            size += 1
            out += data[pos : pos + size]
            pos += size
            continue
        if kind == 1:
            size = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            size = (tag >> 2) + 1
            offset = int.from_bytes(data[pos : pos + 2], "little")
            pos += 2
        else:
            size = (tag >> 2) + 1
            offset = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        for _ in range(size):  # byte by byte: a copy may overlap its own output
            out.append(out[-offset])
    assert len(out) == length, "snappy: length prefix does not match"
    return bytes(out)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> list[tuple[int, int, object]]:
    """A message's fields in order: (number, wire type, value: int, bytes or 8 raw bytes)."""
    pos, out = 0, []
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: object
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((number, wire, value))
    return out


def write_request(body: bytes) -> list[tuple[list[tuple[str, str]], list[tuple[float, int]]]]:
    """prompb.WriteRequest: field 1 TimeSeries {1 Label {1 name, 2 value}, 2 Sample {1 double
    value, 2 int64 timestamp}}. Returns (labels, samples) per series, in order."""
    series = []
    for number, _wire, ts in fields(body):
        assert number == 1 and isinstance(ts, bytes), number
        labels, samples = [], []
        for inner, _w, value in fields(ts):
            assert isinstance(value, bytes)
            if inner == 1:
                parts = {n: v for n, _, v in fields(value)}
                name, text = parts.get(1, b""), parts.get(2, b"")
                assert isinstance(name, bytes) and isinstance(text, bytes)
                labels.append((name.decode(), text.decode()))
            elif inner == 2:
                parts = {n: v for n, _, v in fields(value)}
                raw = parts.get(1, b"\0" * 8)
                assert isinstance(raw, bytes)
                stamp = parts.get(2, 0)
                assert isinstance(stamp, int)
                samples.append((struct.unpack("<d", raw)[0], stamp))
        series.append((labels, samples))
    return series
