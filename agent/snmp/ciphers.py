"""The block ciphers of SNMPv3 privacy, in a module of their own so that `cryptography` is
imported only when a session first needs privacy: a v2c-only agent never pays for it (about
8 MiB of resident memory)."""

from __future__ import annotations

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers import Cipher, CipherAlgorithm, algorithms, modes

Mode = modes.ModeWithInitializationVector


def des(key: bytes) -> CipherAlgorithm:
    """Single DES as TripleDES with the 8-octet key three times (EDE with K1=K2=K3)."""
    return TripleDES(key[:8] * 3)


def aes(key: bytes) -> CipherAlgorithm:
    return algorithms.AES(key)


def cbc(iv: bytes) -> Mode:
    return modes.CBC(iv)


def cfb(iv: bytes) -> Mode:
    return CFB(iv)


def apply(cipher: CipherAlgorithm, mode: Mode, data: bytes, *, encrypt: bool) -> bytes:
    context = Cipher(cipher, mode)
    worker = context.encryptor() if encrypt else context.decryptor()
    return worker.update(data) + worker.finalize()
