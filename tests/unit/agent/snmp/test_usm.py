"""USM keys and crypto: RFC 3414 A.3 vectors, and pysnmp's implementation as the oracle."""

from __future__ import annotations

import hashlib

import pysnmp.proto.secmod.rfc3414  # noqa: F401 - first: pysnmp's eso modules import it circularly
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.type import univ
from pysnmp.proto.secmod.eso.priv import aes192, aes256
from pysnmp.proto.secmod.rfc3414 import localkey
from pysnmp.proto.secmod.rfc3414.auth import hmacmd5, hmacsha
from pysnmp.proto.secmod.rfc3414.priv import des
from pysnmp.proto.secmod.rfc3826.priv import aes
from pysnmp.proto.secmod.rfc7860.auth import hmacsha2

from netwarden.agent.snmp.types import V3Credentials
from netwarden.agent.snmp.usm import (
    AUTH_PROTOCOLS,
    LocalKeys,
    UsmError,
    localize_key,
    password_to_key,
    privacy_key,
    security_flags,
)

RFC_ENGINE = bytes.fromhex("000000000000000000000002")
H2 = hmacsha2.HmacSha2
PYSNMP_AUTH_IDS = {
    "md5": hmacmd5.HmacMd5.SERVICE_ID,
    "sha": hmacsha.HmacSha.SERVICE_ID,
    "sha224": H2.SHA224_SERVICE_ID,
    "sha256": H2.SHA256_SERVICE_ID,
    "sha384": H2.SAH384_SERVICE_ID,
    "sha512": H2.SHA512_SERVICE_ID,
}
PYSNMP_AUTH = {
    "md5": hmacmd5.HmacMd5(),
    "sha": hmacsha.HmacSha(),
    **{name: H2(PYSNMP_AUTH_IDS[name]) for name in ("sha224", "sha256", "sha384", "sha512")},
}
PYSNMP_PRIV = {
    "des": des.Des(),
    "aes": aes.Aes(),
    "aes192": aes192.AesBlumenthal192(),
    "aes256": aes256.AesBlumenthal256(),
    "aes192c": aes192.Aes192(),
    "aes256c": aes256.Aes256(),
}


def test_rfc3414_md5_vectors() -> None:
    ku = password_to_key(b"maplesyrup", "md5")
    assert ku.hex() == "9faf3283884e92834ebc9847d8edd963"
    assert localize_key(ku, RFC_ENGINE, "md5").hex() == "526f5eed9fcce26f8964c2930787d82b"


def test_rfc3414_sha_vectors() -> None:
    ku = password_to_key(b"maplesyrup", "sha")
    assert ku.hex() == "9fb5cc0381497b3793528939ff788d5d79145211"
    kul = localize_key(ku, RFC_ENGINE, "sha")
    assert kul.hex() == "6695febc9288e36282235fc7151f128497b38f3f"


@pytest.mark.parametrize("auth", sorted(AUTH_PROTOCOLS))
def test_keys_match_pysnmp(auth: str) -> None:
    hash_fn = getattr(hashlib, AUTH_PROTOCOLS[auth].hash_name)
    engine = bytes.fromhex("80001f888012345678")
    their_key = localkey.password_to_key(b"a password!", univ.OctetString(engine), hash_fn)
    theirs = their_key.asOctets()
    assert localize_key(password_to_key(b"a password!", auth), engine, auth) == theirs


@pytest.mark.parametrize("priv", sorted(PYSNMP_PRIV))
@pytest.mark.parametrize("auth", ["md5", "sha", "sha256", "sha512"])
def test_privacy_keys_match_pysnmp(auth: str, priv: str) -> None:
    engine = bytes.fromhex("80001f888012345678")
    service = PYSNMP_PRIV[priv]
    ku = service.hash_passphrase(PYSNMP_AUTH_IDS[auth], univ.OctetString(b"priv secret"))
    theirs = bytes(service.localize_key(PYSNMP_AUTH_IDS[auth], ku, univ.OctetString(engine)))
    ours = privacy_key(b"priv secret", engine, auth, priv)
    assert ours == theirs[: len(ours)]
    assert len(ours) >= service.KEY_SIZE


def _keys(auth: str, priv: str | None, engine: bytes = b"\x80\x00\x01") -> LocalKeys:
    return LocalKeys(V3Credentials("u", auth, b"auth secret", priv, b"priv secret"), engine)


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(sorted(PYSNMP_PRIV)),
    st.binary(max_size=300),
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
)
def test_encryption_interoperates_with_pysnmp(
    priv: str, plaintext: bytes, boots: int, engine_time: int
) -> None:
    engine = b"\x80\x00\x01"
    keys = _keys("sha", priv, engine)
    service = PYSNMP_PRIV[priv]
    key = privacy_key(b"priv secret", engine, "sha", priv)
    ciphertext, salt = keys.encrypt(plaintext, boots, engine_time)
    params = (boots, engine_time, univ.OctetString(salt))
    theirs = service.decrypt_data(univ.OctetString(key), params, univ.OctetString(ciphertext))
    assert theirs[: len(plaintext)] == plaintext
    # and back: pysnmp encrypts, we decrypt
    their_cipher, their_salt = service.encrypt_data(univ.OctetString(key), params, plaintext)
    ours = keys.decrypt(bytes(their_cipher), boots, engine_time, bytes(their_salt))
    assert ours[: len(plaintext)] == plaintext


@pytest.mark.parametrize("auth", sorted(AUTH_PROTOCOLS))
def test_hmac_is_verified_by_pysnmp(auth: str) -> None:
    keys = _keys(auth, None)
    n = keys.mac_len
    whole = b"\x30\x10head" + bytes(n) + b"tail of the message"
    signed = whole.replace(bytes(n), keys.mac(whole))
    service = PYSNMP_AUTH[auth]
    signature = signed[6 : 6 + n]
    key, mac = univ.OctetString(keys.auth_key), univ.OctetString(signature)
    service.authenticate_incoming_message(key, mac, signed)  # raises if wrong
    with pytest.raises(Exception, match=r"(?i)authenticat"):
        service.authenticate_incoming_message(key, mac, signed[:-1] + b"!")


def test_des_salt_carries_boots_and_a_counter() -> None:
    keys = _keys("md5", "des")
    _, salt1 = keys.encrypt(b"12345678", 0x01020304, 5)
    _, salt2 = keys.encrypt(b"12345678", 0x01020304, 5)
    assert salt1[:4] == salt2[:4] == bytes.fromhex("01020304")
    assert int.from_bytes(salt2[4:], "big") == (int.from_bytes(salt1[4:], "big") + 1) % 2**32


def test_decrypt_rejects_bad_parameters() -> None:
    keys = _keys("sha", "des")
    with pytest.raises(UsmError):
        keys.decrypt(b"1234567", 1, 1, bytes(8))  # not whole blocks
    with pytest.raises(UsmError):
        keys.decrypt(b"12345678", 1, 1, bytes(7))  # salt size


@pytest.mark.parametrize(
    ("creds", "flags"),
    [
        (V3Credentials("u"), 0),
        (V3Credentials("u", "sha", b"authpass"), 1),
        (V3Credentials("u", "sha", b"authpass", "aes", b"privpass"), 3),
    ],
)
def test_security_levels(creds: V3Credentials, flags: int) -> None:
    assert security_flags(creds) == flags


@pytest.mark.parametrize(
    "creds",
    [
        V3Credentials("u", None, None, "aes", b"privpass"),
        V3Credentials("u", "sha1", b"authpass"),
        V3Credentials("u", "sha", b"authpass", "3des", b"privpass"),
    ],
)
def test_impossible_levels_and_unknown_protocols_are_refused(creds: V3Credentials) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the user's, not ours
        security_flags(creds)


def test_empty_password_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        password_to_key(b"", "sha")
