"""Config backups prove whom they reached, against the lab's real sshd-served IOS-like CLI and
the real `netwarden config` CLI (netmiko, paramiko's key exchange).

The NAT'd agency (sw-p-phan-dinh-phung-core, behind NAT) reuses agency 1's LAN range, so from
outside its LAN its address 198.18.1.2 reaches agency 1's switch (sw-so-khcn-core): its backup
must fail with reason ``identity`` naming both names, and store nothing. A changed host key is
refused the same way until `netwarden config trust` accepts the key the device offers.

Both tests only read agency 1's switch (one SSH login each); every file lives in tmp_path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab.conftest import Lab

pytestmark = pytest.mark.timeout(180)

NETWARDEN = str(Path(sys.executable).with_name("netwarden"))  # .venv/bin/netwarden
NAT_SWITCH = "sw-p-phan-dinh-phung-core"  # 198.18.1.2 behind the ward's NAT
AGENCY1_SWITCH = "sw-so-khcn-core"  # 198.18.1.2 in agency 1's LAN: what the address reaches


def config(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NETWARDEN, "config", *map(str, args)], capture_output=True,
                          text=True, timeout=150, check=False)  # fmt: skip


def backup_json(lab: Lab, device: str, store: Path, known_hosts: Path) -> dict[str, str]:
    done = config("backup", device, "-i", lab.state.inventory, "--store", store,
                  "--known-hosts", known_hosts, "-o", "json")  # fmt: skip
    rows = json.loads(done.stdout)
    assert len(rows) == 1, done.stdout + done.stderr
    row: dict[str, str] = rows[0]
    assert done.returncode == (0 if row["result"] != "failed" else 1), done.stderr
    return row


def stored_files(store: Path) -> list[str]:
    if not store.exists():
        return []
    return sorted(p.name for p in store.iterdir() if p.name != ".git")


def test_the_nat_agency_switch_from_outside_fails_identity_and_stores_nothing(
    lab: Lab, tmp_path: Path
) -> None:
    store, known_hosts = tmp_path / "store", tmp_path / "known_hosts"
    row = backup_json(lab, NAT_SWITCH, store, known_hosts)
    assert (row["device"], row["result"], row["reason"]) == (NAT_SWITCH, "failed", "identity")
    assert AGENCY1_SWITCH in row["error"] and NAT_SWITCH in row["error"], row["error"]
    # Nothing stored under the NAT'd switch's name, and no key pinned for it.
    assert stored_files(store) == []
    log = config("history", NAT_SWITCH, "--store", store)
    assert log.returncode != 0 or NAT_SWITCH not in log.stdout, log.stdout
    assert not (known_hosts / NAT_SWITCH).exists()
    # The same address under its own name backs up fine (and pins that switch's key).
    own = backup_json(lab, AGENCY1_SWITCH, store, known_hosts)
    assert own["result"] in ("new", "changed", "unchanged"), own
    assert (known_hosts / AGENCY1_SWITCH).is_file()


def _offered_fingerprint(host: str, port: int) -> str:
    """The key the device offers, read by OpenSSH's own tools (not by netwarden)."""
    scan = subprocess.run(["ssh-keyscan", "-t", "ed25519", "-p", str(port), host],
                          capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    listed = subprocess.run(["ssh-keygen", "-lf", "-"], input=scan.stdout, capture_output=True,
                            text=True, timeout=30, check=True)  # fmt: skip
    return listed.stdout.split()[1]  # "256 SHA256:... [host]:port (ED25519)"


def test_a_changed_host_key_fails_identity_until_config_trust(lab: Lab, tmp_path: Path) -> None:
    store, known_hosts = tmp_path / "store", tmp_path / "known_hosts"
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                   check=True, timeout=30)  # fmt: skip
    kind, blob = other.with_suffix(".pub").read_text().split()[:2]
    known_hosts.mkdir()
    (known_hosts / AGENCY1_SWITCH).write_text(f"[198.18.1.2]:2222 {kind} {blob}\n")
    refused = backup_json(lab, AGENCY1_SWITCH, store, known_hosts)
    assert (refused["result"], refused["reason"]) == ("failed", "identity"), refused
    assert f"netwarden config trust {AGENCY1_SWITCH}" in refused["error"]
    assert stored_files(store) == []

    offered = _offered_fingerprint("198.18.1.2", 2222)
    trusted = config("trust", AGENCY1_SWITCH, "-i", lab.state.inventory, "--known-hosts",
                     known_hosts, "--fingerprint", offered, "-o", "json")  # fmt: skip
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert json.loads(trusted.stdout)["result"] == "replaced"
    assert blob not in (known_hosts / AGENCY1_SWITCH).read_text()
    accepted = backup_json(lab, AGENCY1_SWITCH, store, known_hosts)
    assert accepted["result"] == "new", accepted
    assert stored_files(store) != []
