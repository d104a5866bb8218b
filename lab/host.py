"""What the lab needs on the host itself: the SSH user, a host key, the portal's certificates."""

from __future__ import annotations

import datetime as dt
import grp
import ipaddress
import os
import pwd
import shutil
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import netwarden
from netwarden.lab import system_tools
from netwarden.lab.daemons import SSH_USER, LabSecrets
from netwarden.lab.topology import DC_LAN6

HOME = Path("/var/lib/netwarden-lab")
# What the IOS-like CLI imports of netwarden (it imports nothing else outside the stdlib).
_CLI_FILES = ("__init__.py", "errors.py", "secret.py", "lab/__init__.py")


def ensure_user(password: str) -> None:
    """Create the lab's SSH user once (idempotent) and set this lab's password."""
    try:
        pwd.getpwnam(SSH_USER)
    except KeyError:
        system_tools.run(["useradd", "--home-dir", str(HOME), "--shell", "/bin/bash", SSH_USER])
    HOME.mkdir(parents=True, exist_ok=True)
    os.chown(HOME, pwd.getpwnam(SSH_USER).pw_uid, grp.getgrnam(SSH_USER).gr_gid)
    system_tools.run(["chpasswd"], stdin=f"{SSH_USER}:{password}\n")


def write_certificate(
    base: Path, addresses: tuple[str, ...], not_before: dt.datetime, not_after: dt.datetime
) -> None:
    """A self-signed certificate for ``addresses`` into ``base``.crt and ``base``.key (the
    portal's certificates differ only in their validity, for the TLS expiry probes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, addresses[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(address)) for address in addresses]
            ),
            False,
        )
        .sign(key, hashes.SHA256())
    )
    base.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    base.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    base.with_suffix(".key").chmod(0o600)


def stage_cli(root: Path) -> Path:
    """Copy the IOS-like CLI's modules where the unprivileged SSH user can read them.

    sshd runs the CLI as that user, who cannot read a checkout or virtualenv under a private
    home directory, so the CLI runs from this copy with the system interpreter.
    """
    source = Path(netwarden.__file__).parent
    target = root / "pylib"
    shutil.rmtree(target, ignore_errors=True)
    for name in _CLI_FILES:
        (target / "netwarden" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / "netwarden" / name)
    shutil.copytree(
        source / "lab" / "ios_cli",
        target / "netwarden" / "lab" / "ios_cli",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)  # noqa: S103 - the SSH user must read the CLI
        for name in files:
            os.chmod(Path(folder, name), 0o644)
    return target


def prepare(root: Path, secrets: LabSecrets) -> None:
    """User, sshd's privilege-separation dir, host key, portal cert, the CLI and its secret."""
    ensure_user(secrets.ssh_password)
    stage_cli(root)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    root.chmod(0o755)  # the CLI, running as the SSH user, reaches its control socket below
    key = root / "ssh_host_ed25519_key"
    if not key.exists():
        system_tools.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)])
    now = dt.datetime.now(dt.UTC)
    for name, start, days in (
        ("portal", now, 90),
        ("portal-expiring", now, 5),
        ("portal-expired", now - dt.timedelta(days=30), 27),  # ended three days ago
    ):
        end = start + dt.timedelta(days=days)
        write_certificate(root / name, ("198.18.10.5", f"{DC_LAN6}5"), start, end)
    enable = root / "enable-secret"
    enable.write_text(secrets.enable_secret + "\n")
    os.chown(enable, 0, grp.getgrnam(SSH_USER).gr_gid)
    enable.chmod(0o640)
