"""Property tests: our messages decode in pysnmp/pyasn1 to the same values, and theirs in ours.

Random varbind lists cover every value type with edge values (0, 2**32-1, 2**64-1, negative
INTEGERs, empty and non-UTF-8 strings, long OIDs with large sub-identifiers), every PDU type,
v2c, and v3 in plaintext and authenticated+encrypted form for every auth and priv protocol.
"""

from __future__ import annotations

from typing import Any

import pysnmp.proto.secmod.rfc3414  # noqa: F401 - first: pysnmp's eso modules import it circularly
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ
from pysnmp.proto.mpmod.rfc3412 import ScopedPDU, SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from netwarden.agent.snmp.ber import Pdu, encode_pdu
from netwarden.agent.snmp.messages import (
    UsmParams,
    decode_v2c,
    encode_scoped_pdu,
    encode_v2c,
    open_v3,
    seal_v3,
)
from netwarden.agent.snmp.types import V3Credentials
from netwarden.agent.snmp.usm import FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, LocalKeys

from .oracle import from_pysnmp_pdu, pdus, pysnmp_decode_v2c, pysnmp_v2c, to_pysnmp_pdu
from .test_usm import PYSNMP_AUTH, PYSNMP_AUTH_IDS, PYSNMP_PRIV

ORACLE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CRYPTO = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENGINE = bytes.fromhex("80001f8880c0ffee5eed1234")  # no run of zeros: pysnmp finds MACs by them


@ORACLE
@given(pdus(), st.binary(max_size=40))
def test_v2c_ours_decodes_in_pysnmp(pdu: Pdu, community: bytes) -> None:
    data = encode_v2c(community, encode_pdu(pdu))
    assert pysnmp_decode_v2c(data) == (community, pdu)
    assert decode_v2c(data) == (community, pdu)


@ORACLE
@given(pdus(), st.binary(max_size=40))
def test_v2c_pysnmp_decodes_in_ours(pdu: Pdu, community: bytes) -> None:
    assert decode_v2c(pysnmp_v2c(community, pdu)) == (community, pdu)


# -- v3 ----------------------------------------------------------------------------------------

levels = st.sampled_from(
    [(None, None), *[(a, None) for a in PYSNMP_AUTH], *[("sha", p) for p in PYSNMP_PRIV],
     ("md5", "des"), ("sha512", "aes256"), ("sha224", "aes192c")]
)  # fmt: skip


def _creds(auth: str | None, priv: str | None) -> V3Credentials:
    return V3Credentials(
        "oracle", auth, b"auth password" if auth else None, priv, b"priv password" if priv else None
    )


def _pysnmp_keys(auth: str, priv: str | None) -> tuple[Any, Any]:
    service = PYSNMP_AUTH[auth]
    engine = univ.OctetString(ENGINE)
    auth_key = service.localize_key(service.hash_passphrase(b"auth password"), engine)
    if priv is None:
        return auth_key, None
    p = PYSNMP_PRIV[priv]
    ku = p.hash_passphrase(PYSNMP_AUTH_IDS[auth], univ.OctetString(b"priv password"))
    return auth_key, p.localize_key(PYSNMP_AUTH_IDS[auth], ku, engine)


def _flags(auth: str | None, priv: str | None) -> int:
    return (FLAG_AUTH if auth else 0) | (FLAG_PRIV if priv else 0)


@CRYPTO
@given(pdus(), levels, st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1), st.binary(max_size=8))
def test_v3_ours_decodes_in_pysnmp(
    pdu: Pdu, level: tuple[str | None, str | None], msg_id: int, boots: int, context: bytes
) -> None:
    auth, priv = level
    keys = LocalKeys(_creds(auth, priv), ENGINE) if auth else None
    usm = UsmParams(ENGINE, boots, 12345, b"oracle")
    scoped = encode_scoped_pdu(ENGINE, context, encode_pdu(pdu))
    data = seal_v3(msg_id, _flags(auth, priv) | FLAG_REPORTABLE, usm, scoped, keys)

    msg, rest = decoder.decode(data, asn1Spec=SNMPv3Message())
    assert not rest
    head = msg["msgGlobalData"]
    assert (int(head["msgID"]), int(head["msgMaxSize"]), int(head["msgSecurityModel"])) == (
        msg_id, 65507, 3
    )  # fmt: skip
    assert bytes(head["msgFlags"]) == bytes((_flags(auth, priv) | FLAG_REPORTABLE,))
    sec, _ = decoder.decode(bytes(msg["msgSecurityParameters"]), asn1Spec=UsmSecurityParameters())
    assert bytes(sec["msgAuthoritativeEngineId"]) == ENGINE
    assert (int(sec["msgAuthoritativeEngineBoots"]), int(sec["msgAuthoritativeEngineTime"])) == (
        boots, 12345
    )  # fmt: skip
    assert bytes(sec["msgUserName"]) == b"oracle"
    if auth:
        auth_key, priv_key = _pysnmp_keys(auth, priv)
        mac = sec["msgAuthenticationParameters"]
        PYSNMP_AUTH[auth].authenticate_incoming_message(auth_key, mac, data)  # raises if wrong
    if priv:
        salt = sec["msgPrivacyParameters"]
        ciphertext = msg["msgData"]["encryptedPDU"]
        plain = PYSNMP_PRIV[priv].decrypt_data(priv_key, (boots, 12345, salt), ciphertext)
        their_scoped, _ = decoder.decode(plain, asn1Spec=ScopedPDU())  # DES leaves padding
    else:
        their_scoped = msg["msgData"]["plaintext"]
    assert bytes(their_scoped["contextEngineId"]) == ENGINE
    assert bytes(their_scoped["contextName"]) == context
    assert from_pysnmp_pdu(their_scoped["data"].getComponent()) == pdu


def _pysnmp_v3(pdu: Pdu, auth: str | None, priv: str | None, msg_id: int, boots: int) -> bytes:
    scoped = ScopedPDU()
    scoped["contextEngineId"] = ENGINE
    scoped["contextName"] = b""
    theirs = to_pysnmp_pdu(pdu)
    scoped.setComponentByPosition(2).getComponentByPosition(2).setComponentByType(
        theirs.getTagSet(), theirs, verifyConstraints=False, matchTags=False, matchConstraints=False
    )
    sec = UsmSecurityParameters()
    sec["msgAuthoritativeEngineId"] = ENGINE
    sec["msgAuthoritativeEngineBoots"] = boots
    sec["msgAuthoritativeEngineTime"] = 777
    sec["msgUserName"] = b"oracle"
    sec["msgAuthenticationParameters"] = bytes(PYSNMP_AUTH[auth].digest_length) if auth else b""
    sec["msgPrivacyParameters"] = b""
    msg = SNMPv3Message()
    msg["msgVersion"] = 3
    msg["msgGlobalData"]["msgID"] = msg_id
    msg["msgGlobalData"]["msgMaxSize"] = 65507
    msg["msgGlobalData"]["msgFlags"] = bytes((_flags(auth, priv),))
    msg["msgGlobalData"]["msgSecurityModel"] = 3
    if priv and auth:
        auth_key, priv_key = _pysnmp_keys(auth, priv)
        params = (boots, 777, None)
        ciphertext, salt = PYSNMP_PRIV[priv].encrypt_data(priv_key, params, encoder.encode(scoped))
        sec["msgPrivacyParameters"] = salt
        msg["msgData"]["encryptedPDU"] = ciphertext
    else:
        msg["msgData"]["plaintext"] = scoped
    msg["msgSecurityParameters"] = encoder.encode(sec)
    whole = bytes(encoder.encode(msg))
    if not auth:
        return whole
    auth_key, _ = _pysnmp_keys(auth, priv)
    return bytes(PYSNMP_AUTH[auth].authenticate_outgoing_message(auth_key, whole))


@CRYPTO
@given(pdus(), levels, st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1))
def test_v3_pysnmp_decodes_in_ours(
    pdu: Pdu, level: tuple[str | None, str | None], msg_id: int, boots: int
) -> None:
    auth, priv = level
    data = _pysnmp_v3(pdu, auth, priv, msg_id, boots)
    keys = LocalKeys(_creds(auth, priv), ENGINE) if auth else None
    msg = open_v3(data, keys)
    assert (msg.msg_id, msg.flags, msg.authenticated) == (msg_id, _flags(auth, priv), bool(auth))
    assert (msg.usm.engine_id, msg.usm.boots, msg.usm.time) == (ENGINE, boots, 777)
    assert (msg.context_engine_id, msg.context_name, msg.pdu) == (ENGINE, b"", pdu)
