"""BER encoding and decoding of the SNMP subset: values, varbinds and PDUs.

Hand-written for the walk hot path (pyasn1 spends most of pysnmp's time): decoding works on
``bytes`` with integer offsets, turns values into plain Python objects with one
``int.from_bytes`` or one slice, and memoises OID prefixes (a walk's OIDs share their column).
Only definite lengths and primitive encodings occur in SNMP, so only those are accepted.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from netwarden.agent.snmp.types import Oid, Tag, Value, VarBind

SEQUENCE = 0x30
_MAX_LEN_OCTETS = 4  # SNMP messages are < 64 KiB; longer length fields are not SNMP
_OID_CACHE_LIMIT = 8192


class BerError(ValueError):
    """The bytes are not well-formed BER of the SNMP subset."""


class PduType(enum.IntEnum):
    GET = 0xA0
    GET_NEXT = 0xA1
    RESPONSE = 0xA2
    GET_BULK = 0xA5
    INFORM = 0xA6
    TRAP = 0xA7  # SNMPv2-Trap-PDU (v2c and v3 notifications)
    REPORT = 0xA8


@dataclass(frozen=True, slots=True)
class Pdu:
    """A PDU; for GETBULK ``error_status``/``error_index`` carry non-repeaters and
    max-repetitions, as on the wire."""

    type: PduType
    request_id: int
    error_status: int = 0
    error_index: int = 0
    varbinds: Sequence[VarBind] = ()


# ---------------------------------------------------------------------------------- encoding

_SHORT_LENGTHS = [bytes((n,)) for n in range(0x80)]


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return _SHORT_LENGTHS[n]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def encode_tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + encode_length(len(content)) + content


def encode_integer(value: int, tag: int = Tag.INTEGER) -> bytes:
    """Two's complement, minimal length (unsigned application types gain a leading zero)."""
    magnitude = value.bit_length() if value >= 0 else (~value).bit_length()
    return encode_tlv(tag, value.to_bytes(magnitude // 8 + 1, "big", signed=True))


def encode_subid(n: int) -> bytes:
    """One sub-identifier (base 128, high bit on all but the last octet); ``n >= 0``."""
    if n < 0x80:
        return _SHORT_LENGTHS[n]
    if n < 0x4000:
        return bytes((0x80 | n >> 7, n & 0x7F))
    out = bytearray((n & 0x7F,))
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.reverse()
    return bytes(out)


def subids(arcs: Sequence[int]) -> bytes:
    """Sub-identifiers after the first two arcs, encoded (walks append an index to a prefix)."""
    if len(arcs) == 1 and arcs[0] >= 0:  # a table index
        return encode_subid(arcs[0])
    if not arcs:
        return b""
    if min(arcs) < 0:
        raise ValueError(f"negative sub-identifier in {arcs!r}")
    if max(arcs) < 0x80:  # the usual case: every arc is one octet
        return bytes(arcs)
    return b"".join([encode_subid(n) for n in arcs])


def oid_content(oid: Oid) -> bytes:
    """The content octets of an OBJECT IDENTIFIER (no tag, no length)."""
    if len(oid) < 2 or not 0 <= oid[0] <= 2 or oid[1] < 0 or (oid[0] < 2 and oid[1] >= 40):
        raise ValueError(f"OID cannot be encoded: {oid!r}")
    return encode_subid(oid[0] * 40 + oid[1]) + subids(oid[2:])


def encode_oid(oid: Oid) -> bytes:
    return encode_tlv(Tag.OBJECT_IDENTIFIER, oid_content(oid))


_UNSIGNED_LIMITS = {
    Tag.COUNTER32: 2**32,
    Tag.GAUGE32: 2**32,
    Tag.TIMETICKS: 2**32,
    Tag.COUNTER64: 2**64,
}
_OCTETS_TAGS = frozenset({Tag.OCTET_STRING, Tag.IP_ADDRESS, Tag.OPAQUE})
_EMPTY_TAGS = frozenset({Tag.NULL, Tag.NO_SUCH_OBJECT, Tag.NO_SUCH_INSTANCE, Tag.END_OF_MIB_VIEW})


def encode_value(tag: Tag, value: Value) -> bytes:
    """One value TLV; raises ValueError if ``value`` does not fit ``tag`` (SNMP ranges)."""
    if tag in _EMPTY_TAGS:
        return bytes((tag, 0))
    if tag in _OCTETS_TAGS and isinstance(value, bytes):
        if tag == Tag.IP_ADDRESS and len(value) != 4:
            raise ValueError("IpAddress must be 4 octets")
        return encode_tlv(tag, value)
    if tag == Tag.OBJECT_IDENTIFIER and isinstance(value, tuple):
        return encode_oid(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if tag == Tag.INTEGER and -(2**31) <= value < 2**31:
            return encode_integer(value)
        if 0 <= value < _UNSIGNED_LIMITS.get(tag, 0):
            return encode_integer(value, tag)
    raise ValueError(f"{tag.name} cannot hold {value!r}")


def encode_varbinds(varbinds: Sequence[VarBind]) -> bytes:
    body = b"".join(
        encode_tlv(SEQUENCE, encode_oid(vb.oid) + encode_value(vb.tag, vb.value)) for vb in varbinds
    )
    return encode_tlv(SEQUENCE, body)


def _null_varbind(content: bytes) -> bytes:
    n = len(content)
    if n < 0x7C:  # both lengths short-form: the common case, without the generic TLV calls
        return bytes((SEQUENCE, n + 4, Tag.OBJECT_IDENTIFIER, n)) + content + b"\x05\x00"
    return encode_tlv(SEQUENCE, encode_tlv(Tag.OBJECT_IDENTIFIER, content) + b"\x05\x00")


def encode_request_pdu(
    pdu_type: PduType, request_id: int, oid_contents: Sequence[bytes], a: int = 0, b: int = 0
) -> bytes:
    """A request PDU from pre-encoded OID contents (see :func:`oid_content`), each with a NULL
    value; ``a``/``b`` are error-status/index, or non-repeaters/max-repetitions for GETBULK."""
    body = b"".join([_null_varbind(c) for c in oid_contents])
    head = encode_integer(request_id) + encode_integer(a) + encode_integer(b)
    return encode_tlv(pdu_type, head + encode_tlv(SEQUENCE, body))


def encode_pdu(pdu: Pdu) -> bytes:
    head = (
        encode_integer(pdu.request_id)
        + encode_integer(pdu.error_status)
        + encode_integer(pdu.error_index)
    )
    return encode_tlv(pdu.type, head + encode_varbinds(pdu.varbinds))


# ---------------------------------------------------------------------------------- decoding


def _long_header(buf: bytes, pos: int) -> tuple[int, int]:
    """Long-form length at ``pos`` -> (content start, content end)."""
    count = buf[pos] & 0x7F
    if not 0 < count <= _MAX_LEN_OCTETS:
        raise BerError("indefinite or oversized length")
    start = pos + 1 + count
    return start, start + int.from_bytes(buf[pos + 1 : start], "big")


def read_tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """The TLV at ``pos`` (which must end by ``end``) -> (tag, content start, content end)."""
    try:
        tag, n = buf[pos], buf[pos + 1]
    except IndexError:
        raise BerError("truncated") from None
    start, stop = (pos + 2, pos + 2 + n) if n < 0x80 else _long_header(buf, pos + 1)
    if stop > end:
        raise BerError("length runs past the end")
    return tag, start, stop


def expect(buf: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    """Like :func:`read_tlv` for a known tag -> (content start, content end)."""
    got, start, stop = read_tlv(buf, pos, end)
    if got != tag:
        raise BerError(f"expected tag 0x{tag:02x}, got 0x{got:02x}")
    return start, stop


def read_integer(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """INTEGER at ``pos`` -> (value, position after it)."""
    start, stop = expect(buf, pos, end, Tag.INTEGER)
    if start == stop:
        raise BerError("empty INTEGER")
    return int.from_bytes(buf[start:stop], "big", signed=True), stop


def read_octets(buf: bytes, pos: int, end: int) -> tuple[bytes, int]:
    """OCTET STRING at ``pos`` -> (value, position after it)."""
    start, stop = expect(buf, pos, end, Tag.OCTET_STRING)
    return buf[start:stop], stop


def _decode_subids(raw: bytes) -> list[int]:
    arcs: list[int] = []
    n = 0
    for octet in raw:
        n = (n << 7) | (octet & 0x7F)
        if octet < 0x80:
            arcs.append(n)
            n = 0
    if not raw or raw[-1] & 0x80:
        raise BerError("truncated OBJECT IDENTIFIER")
    return arcs


def _decode_oid_full(raw: bytes) -> Oid:
    first, *rest = _decode_subids(raw)
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return (*head, *rest)


_oid_heads: dict[bytes, Oid] = {}


def decode_oid(raw: bytes) -> Oid:
    """OID content octets -> tuple. Everything but the last sub-identifier is memoised: a
    walk's OIDs differ only in their index, so most decodes are one dict hit."""
    last = len(raw) - 1
    if last < 2 or raw[last] & 0x80:  # short, or malformed: the full decoder says which
        return _decode_oid_and_remember(raw)
    if raw[last - 1] < 0x80:  # the last sub-identifier is one octet
        head = _oid_heads.get(raw[:last])
        if head is not None:
            return (*head, raw[last])
    elif last > 2 and raw[last - 2] < 0x80:  # ... or two
        head = _oid_heads.get(raw[: last - 1])
        if head is not None:
            return (*head, (raw[last - 1] & 0x7F) << 7 | raw[last])
    return _decode_oid_and_remember(raw)


def _decode_oid_and_remember(raw: bytes) -> Oid:
    oid = _decode_oid_full(raw)
    i = len(raw) - 1
    while i > 0 and raw[i - 1] & 0x80:  # back to where the last sub-identifier starts
        i -= 1
    if i > 0 and len(oid) > 2:
        if len(_oid_heads) >= _OID_CACHE_LIMIT:
            _oid_heads.clear()
        _oid_heads[raw[:i]] = oid[:-1]
    return oid


def _empty(raw: bytes) -> None:
    if raw:
        raise BerError("NULL or exception value with content")


# Builtins where possible: a Python-level decoder call per value is measurable in a walk.
_VALUE_DECODERS: dict[int, Callable[[bytes], Value]] = {
    Tag.INTEGER: functools.partial(int.from_bytes, byteorder="big", signed=True),
    Tag.OCTET_STRING: bytes,
    Tag.NULL: _empty,
    Tag.OBJECT_IDENTIFIER: decode_oid,
    Tag.IP_ADDRESS: bytes,
    # Unsigned on purpose: some agents omit the leading zero of counters >= 2**31.
    Tag.COUNTER32: int.from_bytes,
    Tag.GAUGE32: int.from_bytes,
    Tag.TIMETICKS: int.from_bytes,
    Tag.OPAQUE: bytes,
    Tag.COUNTER64: int.from_bytes,
    Tag.NO_SUCH_OBJECT: _empty,
    Tag.NO_SUCH_INSTANCE: _empty,
    Tag.END_OF_MIB_VIEW: _empty,
}
_TAGS = {int(tag): tag for tag in Tag}
_NOT_EMPTY = frozenset(
    {Tag.INTEGER, Tag.COUNTER32, Tag.GAUGE32, Tag.TIMETICKS, Tag.COUNTER64, Tag.OBJECT_IDENTIFIER}
)


def decode_value(tag: int, raw: bytes) -> Value:
    if not raw and tag in _NOT_EMPTY:
        raise BerError(f"empty value of tag 0x{tag:02x}")
    try:
        return _VALUE_DECODERS[tag](raw)
    except KeyError:
        raise BerError(f"unknown value tag 0x{tag:02x}") from None


def decode_varbinds(buf: bytes, pos: int, end: int) -> list[VarBind]:
    """The varbinds in ``buf[pos:end]`` (the content of the varbind-list SEQUENCE)."""
    try:
        return _decode_varbinds(buf, pos, end)
    except (IndexError, KeyError) as exc:
        raise BerError(f"malformed varbind: {exc!r}") from None


def _decode_varbinds(buf: bytes, pos: int, end: int) -> list[VarBind]:
    # The hot loop: short-form lengths inline, one dict lookup per tag, no per-TLV calls.
    out: list[VarBind] = []
    append, oid_of, decoders, tags = out.append, decode_oid, _VALUE_DECODERS, _TAGS
    while pos < end:
        n = buf[pos + 1]
        start, stop = (pos + 2, pos + 2 + n) if n < 0x80 else _long_header(buf, pos + 1)
        if buf[pos] != SEQUENCE or buf[start] != Tag.OBJECT_IDENTIFIER or stop > end:
            raise BerError("varbind is not SEQUENCE { OBJECT IDENTIFIER, value }")
        n = buf[start + 1]
        pos, oid_end = (start + 2, start + 2 + n) if n < 0x80 else _long_header(buf, start + 1)
        oid = oid_of(buf[pos:oid_end])
        tag, n = buf[oid_end], buf[oid_end + 1]
        pos, value_end = (
            (oid_end + 2, oid_end + 2 + n) if n < 0x80 else _long_header(buf, oid_end + 1)
        )
        if value_end != stop or (pos == stop and tag in _NOT_EMPTY):
            raise BerError("varbind length does not match its contents")
        append(VarBind(oid, tags[tag], decoders[tag](buf[pos:value_end])))
        pos = stop
    return out


def decode_pdu(buf: bytes, pos: int, end: int) -> Pdu:
    """The PDU TLV at ``pos`` (one of :class:`PduType`)."""
    tag, pos, stop = read_tlv(buf, pos, end)
    if stop != end:
        raise BerError("trailing bytes after the PDU")
    try:
        pdu_type = PduType(tag)
    except ValueError:
        raise BerError(f"unsupported PDU type 0x{tag:02x}") from None
    request_id, pos = read_integer(buf, pos, end)
    status, pos = read_integer(buf, pos, end)
    index, pos = read_integer(buf, pos, end)
    start, stop = expect(buf, pos, end, SEQUENCE)
    if stop != end:
        raise BerError("trailing bytes after the varbind list")
    return Pdu(pdu_type, request_id, status, index, decode_varbinds(buf, start, stop))
