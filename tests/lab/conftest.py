"""Lab tier: tests against the real namespace lab (root, real snmpd and sshd)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netwarden.lab import build
from netwarden.lab.state import DEFAULT_DIR, LabState, load


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.lab)


@dataclass
class Lab:
    state: LabState
    root: Path

    def secret(self, name: str) -> str:
        return (self.root / "secrets" / name).read_text().strip()

    def snmp(
        self,
        address: str,
        oid: str,
        *,
        version: str = "3",
        ns: str | None = None,
        auth: str | None = None,
        command: str = "snmpget",
    ) -> subprocess.CompletedProcess[str]:
        """Ask net-snmp's own client (the reference) for ``oid``; values only (-Oqv)."""
        if version == "3":
            creds = ["-v3", "-l", "authPriv", "-u", "labv3", "-a", "SHA",
                     "-A", auth or self.secret("snmp-auth"), "-x", "AES",
                     "-X", self.secret("snmp-priv")]  # fmt: skip
        else:
            creds = ["-v2c", "-c", self.secret("snmp-community")]
        argv = [command, *creds, "-Oqv", "-t", "1", "-r", "1", address, oid]
        if ns:
            argv = ["ip", "netns", "exec", ns, *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)

    def snmp_value(self, address: str, oid: str, **kwargs: str) -> str:
        done = self.snmp(address, oid, **kwargs)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().strip('"')


def lab_of_size(**size: int) -> Iterator[Lab]:
    """Build a lab of ``size`` (build.up's keyword arguments) for one test module and remove it
    afterwards. With NW_LAB_REUSE=1 a running lab is used as it is and left running (for
    developing against one long-lived lab; tests that change links must not run that way)."""
    if os.geteuid() != 0:
        pytest.fail("lab tests need root (they build network namespaces): run scripts/test.sh")
    running = load(DEFAULT_DIR)
    if os.environ.get("NW_LAB_REUSE") == "1" and running is not None:
        yield Lab(running, DEFAULT_DIR)
        return
    state = build.up(DEFAULT_DIR, **size)
    try:
        yield Lab(state, DEFAULT_DIR)
    finally:
        build.down(DEFAULT_DIR)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """A fresh default lab (three agencies, one behind NAT, the DC) per test module."""
    yield from lab_of_size()
