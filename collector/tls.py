"""The collector's own small CA and its server certificate, kept in ``DATA_DIR/tls/``.

Agents pin the CA (its SHA-256 travels in the join token), so the CA is made once and kept:
later starts reuse it. The server certificate is reissued from the same CA when it lacks a
requested name (a new ``--tls-san``) or nears its end, which agents accept without any change.

Files: ``ca.pem``, ``ca.key``, ``server.pem`` (server certificate then CA), ``server.key``;
keys are written 0600.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from netwarden.errors import NetwardenError

CA_YEARS = 10
SERVER_DAYS = 825  # what browsers and most TLS stacks accept for a leaf certificate
RENEW_BEFORE = dt.timedelta(days=30)


class TlsError(NetwardenError):
    """The TLS material in the data directory cannot be read or written."""


@dataclass(frozen=True)
class TlsFiles:
    """Where the collector's TLS material is, and the CA fingerprint for join tokens."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    ca_sha256: str


def ca_sha256(pem: bytes) -> str:
    """SHA-256 (lower-case hex) of the DER form of the PEM certificate ``pem``."""
    cert = x509.load_pem_x509_certificate(pem)
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, mode)  # the umask may have narrowed it; a key must never be wider
    tmp.replace(path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_ca(tls_dir: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netwarden collector CA")])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write(tls_dir / "ca.key", _key_pem(key), 0o600)
    _write(tls_dir / "ca.pem", cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _general_name(san: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(san.strip("[]")))
    except ValueError:
        return x509.DNSName(san)


def _make_server(tls_dir: Path, sans: Sequence[str]) -> None:
    ca_pem = (tls_dir / "ca.pem").read_bytes()
    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    ca_key = serialization.load_pem_private_key((tls_dir / "ca.key").read_bytes(), None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TlsError(f"{tls_dir / 'ca.key'}: not an EC private key")
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, sans[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName([_general_name(s) for s in sans]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(tls_dir / "server.key", _key_pem(key), 0o600)
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_pem
    _write(tls_dir / "server.pem", chain, 0o644)


def _server_ok(tls_dir: Path, sans: Sequence[str]) -> bool:
    """True when the server certificate exists, names every SAN and is not near its end."""
    if not (tls_dir / "server.pem").exists() or not (tls_dir / "server.key").exists():
        return False
    cert = x509.load_pem_x509_certificate((tls_dir / "server.pem").read_bytes())
    if cert.not_valid_after_utc - _now() < RENEW_BEFORE:
        return False
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    have = set(names)
    return all(_general_name(s) in have for s in sans)


def ensure_tls(data_dir: Path, sans: Sequence[str]) -> TlsFiles:
    """Create (first start) or reuse the CA and server certificate under ``data_dir/tls``."""
    if not sans:
        raise TlsError("the server certificate needs at least one name or address")
    tls_dir = data_dir / "tls"
    try:
        tls_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not (tls_dir / "ca.pem").exists() or not (tls_dir / "ca.key").exists():
            _make_ca(tls_dir)
        if not _server_ok(tls_dir, sans):
            _make_server(tls_dir, sans)
        fingerprint = ca_sha256((tls_dir / "ca.pem").read_bytes())
    except OSError as exc:
        raise TlsError(f"{tls_dir}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # a damaged PEM file
        raise TlsError(f"{tls_dir}: unreadable certificate or key ({exc})") from exc
    return TlsFiles(tls_dir / "ca.pem", tls_dir / "server.pem", tls_dir / "server.key", fingerprint)


def existing_ca_sha256(data_dir: Path) -> str | None:
    """The CA fingerprint if ``data_dir`` holds TLS material (a collector serving HTTPS)."""
    path = data_dir / "tls" / "ca.pem"
    try:
        return ca_sha256(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TlsError(f"{path}: cannot read the collector CA ({exc})") from exc
