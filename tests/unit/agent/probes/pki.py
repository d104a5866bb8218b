"""A throwaway private PKI for TLS tests: a province CA, another CA nobody trusts, and server
certificates signed by either (or by themselves) with the validity and names a test asks for."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Authority:
    name: x509.Name
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


@dataclass(frozen=True)
class ServerCert:
    context: ssl.SSLContext  # a server context presenting the certificate
    not_after: dt.datetime

    def days_left(self) -> float:
        return (self.not_after - dt.datetime.now(dt.UTC)).total_seconds() / 86400


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tỉnh Thái Nguyên (test)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _authority(common_name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return Authority(name, key, cert)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class Pki:
    """Files under ``folder``: ``ca.pem`` (the province CA) and ``other-ca.pem``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ca = _authority("Tinh CA (test)")
        self.other = _authority("Someone else's CA (test)")
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(_pem(self.ca.cert))
        (folder / "other-ca.pem").write_bytes(_pem(self.other.cert))
        self._count = 0

    def server(
        self,
        *,
        valid: tuple[int, int] = (-1, 90),
        names: tuple[str, ...] = LOOPBACK,
        issuer: str = "ca",
    ) -> ServerCert:
        """A server certificate valid from ``valid[0]`` to ``valid[1]`` days from now, for the
        IP addresses ``names``, issued by ``"ca"``, ``"other"`` or ``"self"``."""
        self._count += 1
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(names[0])
        signer = {"ca": self.ca, "other": self.other}.get(issuer)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(signer.name if signer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + dt.timedelta(days=valid[0]))
            .not_valid_after(now + dt.timedelta(days=valid[1]))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address(n)) for n in names]
                ),
                False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        )
        if signer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.key.public_key()), False
            )
        cert = builder.sign(signer.key if signer else key, hashes.SHA256())
        base = self.folder / f"server-{self._count}"
        base.with_suffix(".crt").write_bytes(_pem(cert))
        base.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(base.with_suffix(".crt"), base.with_suffix(".key"))
        return ServerCert(context, cert.not_valid_after_utc)
