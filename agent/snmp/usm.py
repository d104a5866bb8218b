"""SNMPv3 User-based Security Model: keys, message authentication and privacy.

Keys follow RFC 3414 A.2 (password to key, localisation to the agent's engine ID), with the
SHA-2 hashes of RFC 7860. Privacy: DES-CBC (RFC 3414 8), AES-128-CFB (RFC 3826) and AES-192/256
CFB with the Blumenthal key extension (draft-blumenthal-aes-usm-04), which is what net-snmp's
``-x AES-192``/``AES-256`` use: the localised key is extended by appending the hash of the key
so far. ``aes192c``/``aes256c`` are the same ciphers with the key extension of
draft-reeder-snmpv3-usm-3desede (Cisco's, net-snmp's ``AES192C``/``AES256C``): each extension
is password-to-key and localisation of the key so far.

HMAC uses hashlib via :func:`hmac.digest` (one C call); ciphers come from ``cryptography``,
CFB from its ``decrepit`` modes (where 50.x moved it).
DES runs as TripleDES with the 8-octet key repeated three times: EDE with K1=K2=K3 *is* single
DES, and ``cryptography`` 50 has no other DES (8-octet TripleDES keys are deprecated).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netwarden.agent.snmp.types import V3Credentials

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import CipherAlgorithm

FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04

_KU_OCTETS = 1_048_576  # RFC 3414 A.2.1: hash one megabyte of the repeated password


@dataclass(frozen=True)
class _Auth:
    hash_name: str
    mac_len: int  # RFC 3414 (96-bit HMACs), RFC 7860 table for SHA-2


AUTH_PROTOCOLS = {
    "md5": _Auth("md5", 12),
    "sha": _Auth("sha1", 12),
    "sha224": _Auth("sha224", 16),
    "sha256": _Auth("sha256", 24),
    "sha384": _Auth("sha384", 32),
    "sha512": _Auth("sha512", 48),
}
PRIV_KEY_OCTETS = {"des": 16, "aes": 16, "aes192": 24, "aes256": 32, "aes192c": 24, "aes256c": 32}
_REEDER = frozenset({"aes192c", "aes256c"})


class UsmError(Exception):
    """A message failed authentication or decryption (maps to ``Reason.auth``)."""


class DecryptionError(UsmError):
    """The message was authentic but does not decrypt (usmStatsDecryptionErrors)."""


def _auth(protocol: str) -> _Auth:
    try:
        return AUTH_PROTOCOLS[protocol]
    except KeyError:
        raise ValueError(f"unknown SNMPv3 auth protocol {protocol!r}") from None


@functools.lru_cache(maxsize=64)
def password_to_key(password: bytes, auth: str) -> bytes:
    """Ku of RFC 3414 A.2. Memoised: every device of a fleet shares its credentials, and this
    is a megabyte of hashing."""
    if not password:
        raise ValueError("empty SNMPv3 password")
    repeated = password * (_KU_OCTETS // len(password) + 1)
    return hashlib.new(_auth(auth).hash_name, repeated[:_KU_OCTETS]).digest()


def localize_key(ku: bytes, engine_id: bytes, auth: str) -> bytes:
    """Kul = H(Ku || engineID || Ku)."""
    return hashlib.new(_auth(auth).hash_name, ku + engine_id + ku).digest()


def privacy_key(password: bytes, engine_id: bytes, auth: str, priv: str) -> bytes:
    """The localised privacy key, cut or Blumenthal-extended to what ``priv`` needs."""
    try:
        need = PRIV_KEY_OCTETS[priv]
    except KeyError:
        raise ValueError(f"unknown SNMPv3 privacy protocol {priv!r}") from None
    key = localize_key(password_to_key(password, auth), engine_id, auth)
    hash_name = _auth(auth).hash_name
    for _ in range(need):  # bounded: each round adds a whole digest
        if len(key) >= need:
            break
        if priv in _REEDER:  # the key so far is the next round's "password"
            key += localize_key(password_to_key(key, auth), engine_id, auth)
        else:
            key += hashlib.new(hash_name, key).digest()
    return key[:need]


class LocalKeys:
    """One user's keys localised to one engine, plus the session's privacy salt counter."""

    __slots__ = ("_cipher", "_pre_iv", "_salt", "auth_key", "hash_name", "mac_len", "priv")

    def __init__(self, creds: V3Credentials, engine_id: bytes) -> None:
        if creds.auth_protocol is None or not creds.auth_password:
            raise ValueError("LocalKeys need an auth protocol and password")
        auth = _auth(creds.auth_protocol)
        self.hash_name, self.mac_len = auth.hash_name, auth.mac_len
        ku = password_to_key(creds.auth_password, creds.auth_protocol)
        self.auth_key = localize_key(ku, engine_id, creds.auth_protocol)
        self.priv = creds.priv_protocol
        self._cipher: CipherAlgorithm | None = None
        self._pre_iv = b""
        if self.priv is not None:
            if not creds.priv_password:
                raise ValueError("privacy protocol without a privacy password")
            from netwarden.agent.snmp import ciphers  # cryptography only when privacy is used

            key = privacy_key(creds.priv_password, engine_id, creds.auth_protocol, self.priv)
            if self.priv == "des":
                self._cipher, self._pre_iv = ciphers.des(key), key[8:16]
            else:
                self._cipher = ciphers.aes(key)
        # A fresh random start per session, then +1 per message: IVs never repeat for a key.
        self._salt = secrets.randbits(64)

    def mac(self, whole: bytes) -> bytes:
        """The truncated HMAC of a message whose authentication parameters are zeros."""
        return hmac.digest(self.auth_key, whole, self.hash_name)[: self.mac_len]

    def encrypt(self, plaintext: bytes, boots: int, engine_time: int) -> tuple[bytes, bytes]:
        """-> (ciphertext, msgPrivacyParameters)."""
        from netwarden.agent.snmp import ciphers

        if self._cipher is None:
            raise ValueError("no privacy protocol configured")
        self._salt = (self._salt + 1) & 0xFFFFFFFFFFFFFFFF
        if self.priv == "des":
            salt = boots.to_bytes(4, "big") + (self._salt & 0xFFFFFFFF).to_bytes(4, "big")
            iv = bytes(a ^ b for a, b in zip(salt, self._pre_iv, strict=True))
            plaintext += bytes(-len(plaintext) % 8)  # RFC 3414 8.1.1.2: pad to the block
            mode = ciphers.cbc(iv)
        else:
            salt = self._salt.to_bytes(8, "big")
            mode = ciphers.cfb(boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt)
        return ciphers.apply(self._cipher, mode, plaintext, encrypt=True), salt

    def decrypt(self, ciphertext: bytes, boots: int, engine_time: int, salt: bytes) -> bytes:
        """Plaintext (DES: still padded; the scopedPDU's own length ends it)."""
        from netwarden.agent.snmp import ciphers

        if self._cipher is None:
            raise UsmError("encrypted message but no privacy protocol configured")
        if len(salt) != 8:
            raise DecryptionError("decryption error: privacy parameters are not 8 octets")
        if self.priv == "des":
            if len(ciphertext) % 8:
                raise DecryptionError("decryption error: DES ciphertext is not whole blocks")
            iv = bytes(a ^ b for a, b in zip(salt, self._pre_iv, strict=True))
            mode = ciphers.cbc(iv)
        else:
            mode = ciphers.cfb(boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt)
        return ciphers.apply(self._cipher, mode, ciphertext, encrypt=False)


def security_flags(creds: V3Credentials) -> int:
    """msgFlags for ``creds``' security level (noAuthNoPriv, authNoPriv, authPriv)."""
    if creds.priv_protocol is not None and creds.auth_protocol is None:
        raise ValueError("SNMPv3 privacy needs authentication (no privNoAuth level exists)")
    if creds.auth_protocol is not None:
        _auth(creds.auth_protocol)
    if creds.priv_protocol is not None and creds.priv_protocol not in PRIV_KEY_OCTETS:
        raise ValueError(f"unknown SNMPv3 privacy protocol {creds.priv_protocol!r}")
    return (FLAG_AUTH if creds.auth_protocol else 0) | (FLAG_PRIV if creds.priv_protocol else 0)
