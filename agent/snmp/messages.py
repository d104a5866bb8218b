"""SNMP messages: v2c (community) and v3 (USM security parameters, scopedPDU).

Builders take an already encoded PDU (:func:`ber.encode_request_pdu` or
:func:`ber.encode_pdu`); parsers return decoded PDUs, Report PDUs included. v3 sealing
authenticates and encrypts with :class:`usm.LocalKeys`; opening checks the HMAC over the
message exactly as received before decrypting anything.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from netwarden.agent.snmp.ber import (
    SEQUENCE,
    BerError,
    Pdu,
    decode_pdu,
    encode_integer,
    encode_length,
    encode_tlv,
    expect,
    read_integer,
    read_octets,
)
from netwarden.agent.snmp.types import Tag
from netwarden.agent.snmp.usm import FLAG_AUTH, FLAG_PRIV, DecryptionError, LocalKeys, UsmError

VERSION_2C = 1
VERSION_3 = 3
USM_SECURITY_MODEL = 3
MAX_MESSAGE_SIZE = 65507  # what fits one UDP datagram; advertised as msgMaxSize


def encode_v2c(community: bytes, pdu: bytes) -> bytes:
    return encode_tlv(SEQUENCE, b"\x02\x01\x01" + encode_tlv(Tag.OCTET_STRING, community) + pdu)


def _message_start(data: bytes) -> tuple[int, int, int]:
    """-> (version, position after the version, end of the message)."""
    start, end = expect(data, 0, len(data), SEQUENCE)
    if end != len(data):
        raise BerError("trailing bytes after the message")
    version, pos = read_integer(data, start, end)
    return version, pos, end


def decode_v2c(data: bytes) -> tuple[bytes, Pdu]:
    """A v2c message -> (community, PDU)."""
    version, pos, end = _message_start(data)
    if version != VERSION_2C:
        raise BerError(f"not an SNMPv2c message (version {version})")
    community, pos = read_octets(data, pos, end)
    pdu = decode_pdu(data, pos, end)
    return community, pdu


def peek_message_id(data: bytes) -> int:
    """The id that pairs an answer with its request without decoding it all: request-id for
    v2c, msgID for v3 (the encrypted PDU's request-id is not readable yet)."""
    version, pos, end = _message_start(data)
    if version == VERSION_3:
        start, stop = expect(data, pos, end, SEQUENCE)
        return read_integer(data, start, stop)[0]
    _, pos = read_octets(data, pos, end)
    _, start, stop = _pdu_header(data, pos, end)
    return read_integer(data, start, stop)[0]


def _pdu_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    tag = data[pos] if pos < end else -1
    if tag & 0xE0 != 0xA0:
        raise BerError("no PDU where one belongs")
    return tag, *expect(data, pos, end, tag)


@dataclass(frozen=True, slots=True)
class UsmParams:
    """msgSecurityParameters of the User-based Security Model."""

    engine_id: bytes
    boots: int
    time: int
    user: bytes
    auth: bytes = b""
    priv: bytes = b""


@dataclass(frozen=True, slots=True)
class V3Message:
    """An opened v3 message; ``authenticated`` tells whether its HMAC was checked."""

    msg_id: int
    max_size: int
    flags: int
    usm: UsmParams
    context_engine_id: bytes
    context_name: bytes
    pdu: Pdu
    authenticated: bool


def encode_scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    octets = encode_tlv(Tag.OCTET_STRING, context_engine_id)
    return encode_tlv(SEQUENCE, octets + encode_tlv(Tag.OCTET_STRING, context_name) + pdu)


def seal_v3(
    msg_id: int, flags: int, usm: UsmParams, scoped_pdu: bytes, keys: LocalKeys | None
) -> bytes:
    """A whole v3 message: ``scoped_pdu`` encrypted if ``flags`` has priv, HMAC if auth.
    ``usm.auth``/``usm.priv`` are ignored (computed here)."""
    priv_params, msg_data = b"", scoped_pdu
    if flags & (FLAG_AUTH | FLAG_PRIV) and keys is None:
        raise ValueError("authenticated message without keys")
    if flags & FLAG_PRIV and keys is not None:
        ciphertext, priv_params = keys.encrypt(scoped_pdu, usm.boots, usm.time)
        msg_data = encode_tlv(Tag.OCTET_STRING, ciphertext)
    mac_len = keys.mac_len if flags & FLAG_AUTH and keys is not None else 0
    head = (
        encode_tlv(Tag.OCTET_STRING, usm.engine_id)
        + encode_integer(usm.boots)
        + encode_integer(usm.time)
        + encode_tlv(Tag.OCTET_STRING, usm.user)
        + b"\x04"
        + encode_length(mac_len)
    )
    tail = encode_tlv(Tag.OCTET_STRING, priv_params)
    sec_len = len(head) + mac_len + len(tail)
    sec_head = encode_length(sec_len)
    sec_head = b"\x04" + encode_length(sec_len + 1 + len(sec_head)) + b"\x30" + sec_head
    header_data = encode_tlv(
        SEQUENCE,
        encode_integer(msg_id)
        + encode_integer(MAX_MESSAGE_SIZE)
        + bytes((Tag.OCTET_STRING, 1, flags))
        + encode_integer(USM_SECURITY_MODEL),
    )
    before = b"\x02\x01\x03" + header_data + sec_head + head
    after = tail + msg_data
    total = len(before) + mac_len + len(after)
    before = b"\x30" + encode_length(total) + before
    if not mac_len or keys is None:
        return before + after
    return before + keys.mac(before + bytes(mac_len) + after) + after


def _read_usm(data: bytes, pos: int, end: int) -> tuple[UsmParams, int, int]:
    """msgSecurityParameters -> (params, offset of the auth parameters, position after)."""
    start, stop = expect(data, pos, end, Tag.OCTET_STRING)
    seq_start, seq_end = expect(data, start, stop, SEQUENCE)
    if seq_end != stop:
        raise BerError("trailing bytes in msgSecurityParameters")
    engine_id, p = read_octets(data, seq_start, seq_end)
    boots, p = read_integer(data, p, seq_end)
    time, p = read_integer(data, p, seq_end)
    user, p = read_octets(data, p, seq_end)
    auth_at, auth_end = expect(data, p, seq_end, Tag.OCTET_STRING)
    priv, p = read_octets(data, auth_end, seq_end)
    if p != seq_end:
        raise BerError("trailing bytes in the USM parameters")
    usm = UsmParams(engine_id, boots, time, user, data[auth_at:auth_end], priv)
    return usm, auth_at, stop


def read_usm_params(data: bytes) -> UsmParams:
    """The USM parameters of a v3 message, unchecked (an agent needs the user name to pick
    the keys that check the rest)."""
    return read_v3_header(data)[2]


def read_v3_header(data: bytes) -> tuple[int, int, UsmParams]:
    """(msgID, msgFlags, USM parameters) of a v3 message, unchecked: what a Report to a
    message that cannot be opened is built from."""
    version, pos, end = _message_start(data)
    if version != VERSION_3:
        raise BerError(f"not an SNMPv3 message (version {version})")
    start, pos = expect(data, pos, end, SEQUENCE)
    msg_id, p = read_integer(data, start, pos)
    _, p = read_integer(data, p, pos)
    flag_octets, _ = read_octets(data, p, pos)
    if len(flag_octets) != 1:
        raise BerError("msgFlags is not one octet")
    return msg_id, flag_octets[0], _read_usm(data, pos, end)[0]


def _check_mac(data: bytes, usm: UsmParams, auth_at: int, keys: LocalKeys | None) -> None:
    if keys is None:
        raise UsmError("authenticated message but no authentication key")
    n = len(usm.auth)
    if n != keys.mac_len:
        raise UsmError(f"authentication parameters are {n} octets, expected {keys.mac_len}")
    expected = keys.mac(data[:auth_at] + bytes(n) + data[auth_at + n :])
    if not hmac.compare_digest(expected, usm.auth):
        raise UsmError("wrong digest on the agent's message (authentication key mismatch)")


def open_v3(data: bytes, keys: LocalKeys | None) -> V3Message:
    """Parse a v3 message, check its HMAC (if its flags say auth) and decrypt it (priv).
    Raises BerError if malformed, UsmError if authentication or decryption fails."""
    version, pos, end = _message_start(data)
    if version != VERSION_3:
        raise BerError(f"not an SNMPv3 message (version {version})")
    start, pos = expect(data, pos, end, SEQUENCE)
    msg_id, p = read_integer(data, start, pos)
    max_size, p = read_integer(data, p, pos)
    flag_octets, p = read_octets(data, p, pos)
    model, p = read_integer(data, p, pos)
    if len(flag_octets) != 1 or model != USM_SECURITY_MODEL or p != pos:
        raise BerError("msgGlobalData is not one of the User-based Security Model")
    flags = flag_octets[0]
    usm, auth_at, pos = _read_usm(data, pos, end)
    if flags & FLAG_AUTH:
        _check_mac(data, usm, auth_at, keys)
    if flags & FLAG_PRIV:
        ciphertext, pos = read_octets(data, pos, end)
        if keys is None or not flags & FLAG_AUTH:
            raise UsmError("encrypted message without authentication")
        scoped = keys.decrypt(ciphertext, usm.boots, usm.time, usm.priv)
        try:
            ctx_id, ctx_name, pdu = _read_scoped_pdu(scoped, 0, len(scoped), padded=True)
        except BerError as exc:
            raise DecryptionError(f"decryption error (privacy key mismatch?): {exc}") from None
    else:
        ctx_id, ctx_name, pdu = _read_scoped_pdu(data, pos, end, padded=False)
    auth = bool(flags & FLAG_AUTH)
    return V3Message(msg_id, max_size, flags, usm, ctx_id, ctx_name, pdu, auth)


def _read_scoped_pdu(data: bytes, pos: int, end: int, *, padded: bool) -> tuple[bytes, bytes, Pdu]:
    start, stop = expect(data, pos, end, SEQUENCE)
    if stop != end and not padded:  # DES pads the plaintext to whole blocks
        raise BerError("trailing bytes after the scopedPDU")
    ctx_id, p = read_octets(data, start, stop)
    ctx_name, p = read_octets(data, p, stop)
    pdu = decode_pdu(data, p, stop)
    return ctx_id, ctx_name, pdu
