"""The collector's CA and server certificate: made once, reused, reissued for a new name."""

from __future__ import annotations

import hashlib
import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from netwarden.collector.tls import TlsError, ca_sha256, ensure_tls, existing_ca_sha256


def _sans(path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(n.value) for n in names}


def test_first_start_makes_a_ca_and_a_server_certificate(tmp_path: Path) -> None:
    assert existing_ca_sha256(tmp_path) is None
    files = ensure_tls(tmp_path, ["127.0.0.1", "localhost", "collector.tinh.gov.vn"])
    for key in (tmp_path / "tls" / "ca.key", files.server_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    server.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    years = (ca.not_valid_after_utc - ca.not_valid_before_utc).days / 365
    assert years >= 9.99
    assert _sans(files.server_cert) == {"127.0.0.1", "localhost", "collector.tinh.gov.vn"}
    ips = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in ips.get_values_for_type(x509.IPAddress)
    der = ca.public_bytes(serialization.Encoding.DER)
    assert files.ca_sha256 == hashlib.sha256(der).hexdigest()
    assert ca_sha256(files.ca_cert.read_bytes()) == files.ca_sha256
    assert existing_ca_sha256(tmp_path) == files.ca_sha256


def test_later_starts_reuse_and_a_new_name_reissues_from_the_same_ca(tmp_path: Path) -> None:
    first = ensure_tls(tmp_path, ["127.0.0.1"])
    server_pem = first.server_cert.read_bytes()
    again = ensure_tls(tmp_path, ["127.0.0.1"])
    assert again.ca_sha256 == first.ca_sha256
    assert again.server_cert.read_bytes() == server_pem
    wider = ensure_tls(tmp_path, ["127.0.0.1", "198.18.10.2"])
    assert wider.ca_sha256 == first.ca_sha256  # agents keep trusting it
    assert wider.server_cert.read_bytes() != server_pem
    assert _sans(wider.server_cert) == {"127.0.0.1", "198.18.10.2"}


def test_damaged_material_is_a_clear_error(tmp_path: Path) -> None:
    ensure_tls(tmp_path, ["localhost"])
    (tmp_path / "tls" / "ca.pem").write_text("garbage", encoding="utf-8")
    with pytest.raises(TlsError, match="tls"):
        ensure_tls(tmp_path, ["localhost"])
    with pytest.raises(TlsError):
        existing_ca_sha256(tmp_path)
