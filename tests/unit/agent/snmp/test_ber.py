"""The BER codec: known encodings, edge values, and malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwarden.agent.snmp.ber import (
    BerError,
    Pdu,
    PduType,
    decode_oid,
    decode_pdu,
    decode_value,
    decode_varbinds,
    encode_integer,
    encode_length,
    encode_oid,
    encode_pdu,
    encode_request_pdu,
    encode_value,
    encode_varbinds,
    oid_content,
)
from netwarden.agent.snmp.types import Tag, VarBind

from .oracle import oids, pdus


@pytest.mark.parametrize(
    ("n", "octets"),
    [(0, "00"), (127, "7f"), (128, "8180"), (255, "81ff"), (256, "820100"), (65535, "82ffff")],
)
def test_lengths(n: int, octets: str) -> None:
    assert encode_length(n).hex() == octets


@pytest.mark.parametrize(
    ("value", "tag", "octets"),
    [
        (0, Tag.INTEGER, "020100"),
        (127, Tag.INTEGER, "02017f"),
        (128, Tag.INTEGER, "02020080"),
        (-1, Tag.INTEGER, "0201ff"),
        (-128, Tag.INTEGER, "020180"),
        (-129, Tag.INTEGER, "0202ff7f"),
        (-(2**31), Tag.INTEGER, "020480000000"),
        (2**32 - 1, Tag.COUNTER32, "410500ffffffff"),
        (2**32 - 1, Tag.GAUGE32, "420500ffffffff"),
        (2**64 - 1, Tag.COUNTER64, "460900ffffffffffffffff"),
        (0, Tag.TIMETICKS, "430100"),
    ],
)
def test_integers(value: int, tag: Tag, octets: str) -> None:
    assert encode_value(tag, value).hex() == octets
    raw = bytes.fromhex(octets)
    assert decode_value(raw[0], raw[2:]) == value


def test_unsigned_values_without_the_leading_zero_still_read_unsigned() -> None:
    # some agents send Counter32 2**32-1 as 41 04 ff ff ff ff
    assert decode_value(Tag.COUNTER32, b"\xff\xff\xff\xff") == 2**32 - 1


@pytest.mark.parametrize(
    ("oid", "octets"),
    [
        ((1, 3, 6, 1, 2, 1, 1, 5, 0), "06082b06010201010500"),
        ((1, 3, 6, 1, 4, 1, 2021, 128), "06092b060104018f658100"),
        ((2, 999, 3), "0603883703"),
        ((0, 0), "060100"),
        ((1, 3, 2**32 - 1), "06062b8fffffff7f"),
    ],
)
def test_oids(oid: tuple[int, ...], octets: str) -> None:
    assert encode_oid(oid).hex() == octets
    assert decode_oid(bytes.fromhex(octets)[2:]) == oid


@settings(max_examples=300)
@given(oids())
def test_oid_round_trip_through_the_prefix_cache(oid: tuple[int, ...]) -> None:
    content = oid_content(oid)
    assert decode_oid(content) == oid
    assert decode_oid(content) == oid  # second time from the memoised prefix


@pytest.mark.parametrize(
    "oid",
    [(1,), (3, 1), (1, 40), (1, 3, -1), ()],
    ids=["one arc", "arc 3", "1.40", "negative", "empty"],
)
def test_unencodable_oids(oid: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"OID|sub-identifier"):
        oid_content(oid)


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        (Tag.INTEGER, 2**31),
        (Tag.COUNTER32, -1),
        (Tag.COUNTER32, 2**32),
        (Tag.COUNTER64, 2**64),
        (Tag.IP_ADDRESS, b"\x01\x02\x03"),
        (Tag.OCTET_STRING, 5),
        (Tag.INTEGER, True),
        (Tag.OBJECT_IDENTIFIER, b"1.3"),
    ],
)
def test_values_that_do_not_fit_their_type(tag: Tag, value: object) -> None:
    with pytest.raises(ValueError, match=r"cannot hold|4 octets"):
        encode_value(tag, value)  # type: ignore[arg-type]


@settings(max_examples=200)
@given(pdus())
def test_pdu_round_trip(pdu: Pdu) -> None:
    data = encode_pdu(pdu)
    assert decode_pdu(data, 0, len(data)) == pdu


def test_request_pdu_from_encoded_oids_matches_the_generic_encoder() -> None:
    oid_list = [(1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 2049), (1, 3, 6, 1, 2, 1, 1, 5, 0)]
    fast = encode_request_pdu(PduType.GET_BULK, 42, [oid_content(o) for o in oid_list], 0, 25)
    generic = Pdu(PduType.GET_BULK, 42, 0, 25, [VarBind(o, Tag.NULL, None) for o in oid_list])
    assert fast == encode_pdu(generic)


def test_long_oid_content_in_a_request() -> None:
    oid = (1, 3, *range(200, 300))  # content > 127 octets: long-form lengths
    data = encode_request_pdu(PduType.GET, 1, [oid_content(oid)])
    assert decode_pdu(data, 0, len(data)).varbinds[0].oid == oid


VB = encode_varbinds([VarBind((1, 3, 6, 1), Tag.INTEGER, 5)])[2:]  # 30 07 06 03 2b 06 01 02 01 05


@pytest.mark.parametrize(
    ("octets", "why"),
    [
        (VB[:-1], "truncated value"),
        (VB[:3], "truncated OID"),
        (b"\x31" + VB[1:], "not a SEQUENCE"),
        (VB[:2] + b"\x04" + VB[3:], "name is not an OID"),
        (b"\x30\x08" + VB[2:] + b"\x00", "sequence longer than its contents"),
        (VB[:-3] + b"\x47\x01\x05", "unknown value tag"),
        (b"\x30\x05\x06\x03\x2b\x06\x01\x02\x00", "empty INTEGER"),
        (b"\x30\x06\x06\x03\x2b\x06\x01\x05\x01\x00", "NULL with content"),
        (b"\x30\x06\x06\x03\x2b\x06\x81\x05\x00", "OID ends mid sub-identifier"),
        (b"\x30\x80" + VB[2:] + b"\x00\x00", "indefinite length"),
        (b"\x30\x85\x00\x00\x00\x00\x07" + VB[2:], "five length octets"),
    ],
)
def test_malformed_varbinds_are_ber_errors(octets: bytes, why: str) -> None:
    with pytest.raises(BerError):
        decode_varbinds(octets, 0, len(octets))


def test_malformed_pdus_are_ber_errors() -> None:
    good = encode_pdu(Pdu(PduType.RESPONSE, 1, 0, 0, []))
    for bad in (good + b"\x00", b"\xa4" + good[1:], good[:-1], b"\xa2\x00"):
        with pytest.raises(BerError):
            decode_pdu(bad, 0, len(bad))


@settings(max_examples=300)
@given(st.binary(max_size=60))
def test_random_bytes_never_raise_anything_but_ber_errors(data: bytes) -> None:
    try:
        decode_pdu(data, 0, len(data))
        decode_varbinds(data, 0, len(data))
    except BerError:
        pass


def test_integer_helper_keeps_two_complement_minimal() -> None:
    assert encode_integer(-(2**63)).hex() == "02088000000000000000"


def test_a_truncated_oid_is_an_error_even_when_its_prefix_is_memoised() -> None:
    good = oid_content((1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 5))
    assert decode_oid(good) == (1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 5)
    with pytest.raises(BerError):
        decode_oid(good[:-1] + b"\x85")  # same prefix, last octet says "more follows"
