"""TLS for the HTTP probe: which CAs a check trusts, why a certificate did not verify, and how
many days the peer's certificate has left.

A check trusts the system's CA store, or, with ``ca_file``, exactly the CAs in that PEM file
(a province's own CA; as curl's ``--cacert`` and blackbox_exporter's ``ca_file`` do). Contexts
are built once per (mode, file, file version): loading CAs is blocking file I/O, and a renewed
CA file is picked up at the next probe without a restart.
"""

from __future__ import annotations

import functools
import os
import ssl
from datetime import UTC, datetime
from typing import Final

from netwarden.agent.probes.common import ProbeFailure
from netwarden.agent.probes.result import ProbeReason

# OpenSSL's X509_V_ERR_* codes (x509_vfy.h) -> the bounded `error` label of
# netwarden_probe_tls_verify_error_info; every other code is "other".
VERIFY_ERRORS: Final = {
    10: "expired",  # CERT_HAS_EXPIRED
    18: "self-signed",  # DEPTH_ZERO_SELF_SIGNED_CERT: the server's certificate signed itself
    19: "self-signed",  # SELF_SIGNED_CERT_IN_CHAIN: its chain ends at a root nobody trusts
    62: "hostname",  # HOSTNAME_MISMATCH
    64: "hostname",  # IP_ADDRESS_MISMATCH
    2: "untrusted",  # UNABLE_TO_GET_ISSUER_CERT
    20: "untrusted",  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY: issued by a CA we do not trust
    21: "untrusted",  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
    27: "untrusted",  # CERT_UNTRUSTED
    28: "untrusted",  # CERT_REJECTED
}
VERIFY_ERROR_VALUES: Final = ("expired", "self-signed", "hostname", "untrusted", "other")


def verify_error(exc: ssl.SSLCertVerificationError) -> str:
    """The bounded class of a verification failure."""
    return VERIFY_ERRORS.get(exc.verify_code, "other")


def context(verify: bool, ca_file: str | None) -> ssl.SSLContext:
    """The client context of a check; :class:`ProbeFailure` (other) if ``ca_file`` cannot be
    used (a problem of the agent's files, not of the target)."""
    if not verify:
        return _unverified()
    if ca_file is None:
        return _system()
    try:
        stat = os.stat(ca_file)
        return _trusting(ca_file, stat.st_mtime_ns, stat.st_size)
    except ssl.SSLError as exc:
        why = f"not a PEM file of CA certificates ({exc.reason or exc})"
        raise ProbeFailure(ProbeReason.other, f"CA file {ca_file}: {why}") from exc
    except OSError as exc:
        raise ProbeFailure(ProbeReason.other, f"CA file {ca_file}: {exc.strerror}") from exc


def unverified() -> ssl.SSLContext:
    """A context that accepts any certificate: to read a peer's certificate, never to trust."""
    return _unverified()


@functools.cache
def _system() -> ssl.SSLContext:
    return ssl.create_default_context()


@functools.cache
def _unverified() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@functools.lru_cache(maxsize=64)
def _trusting(ca_file: str, mtime_ns: int, size: int) -> ssl.SSLContext:
    # mtime and size are in the key only so that a changed file makes a new context.
    return ssl.create_default_context(cafile=ca_file)


def days_left(der: bytes | None) -> float | None:
    """Days until the certificate's notAfter (negative once expired), None if unreadable."""
    if not der:
        return None
    from cryptography import x509  # only https probes pay for importing it

    try:
        not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    except ValueError:
        return None
    return (not_after - datetime.now(UTC)).total_seconds() / 86400
