"""`netwarden config backup|diff|history` against the in-repo fake SSH runner (the CLI's one
seam, :func:`netwarden.agent.configs.config_commands.ssh_runner`, replaced), and the exit codes
through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from netwarden.agent.configs import config_commands as config_cli
from netwarden.agent.ssh.fake import FakeSshRunner, fake_host_key
from netwarden.agent.ssh.identity import HostKey, HostKeyPins
from netwarden.agent.ssh.types import SshError, SshReason
from netwarden.cli import app
from netwarden.errors import NetwardenError, UsageError

from .helpers import INVENTORY, SHOW_RUN, ios_config

VRP = "display current-configuration"


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY)
    return path


@pytest.fixture
def outputs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, dict[str, str]]:
    """Per-device outputs the fake serves; a device missing here fails with `auth`. Host keys
    are pinned in the test's own directory (NETWARDEN_KNOWN_HOSTS), never the machine's."""
    monkeypatch.setenv("NETWARDEN_KNOWN_HOSTS", str(tmp_path / "known_hosts"))
    served: dict[str, dict[str, str]] = {
        "sw-a": {SHOW_RUN: ios_config("sw-a")},
        "rtr-a": {VRP: "#\nsysname rtr-a\n#\nreturn\n"},
        "sw-quiet": {SHOW_RUN: ios_config("sw-quiet")},
        "sw-b": {VRP: "#\n sysname sw-b\n#\nreturn\n"},
    }

    def runner(pins: HostKeyPins) -> FakeSshRunner:
        fail = {d: SshError(SshReason.auth, f"{d}: authentication failed")
                for d in ("sw-key", "fw-a") if d not in served}  # fmt: skip
        return FakeSshRunner(served, fail=fail, pins=pins, host_keys=offered)

    monkeypatch.setattr(config_cli, "ssh_runner", runner)
    return served


# The key each device offers now, when not its own (a replaced box): tests change it.
offered: dict[str, HostKey] = {}


@pytest.fixture(autouse=True)
def _own_keys() -> Iterator[None]:
    offered.clear()
    yield
    offered.clear()


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["config", *map(str, args)])


def test_backup_named_devices_then_diff_and_history(
    inv: Path, tmp_path: Path, outputs: dict[str, dict[str, str]]
) -> None:
    store = tmp_path / "store"
    first = _run("backup", "sw-a", "rtr-a", "-i", inv, "--store", store)
    assert first.exit_code == 0, first.output
    rows = [line.split() for line in first.stdout.splitlines()[2:]]
    assert [(r[0], r[1]) for r in rows] == [("sw-a", "new"), ("rtr-a", "new")]
    assert "[2/2]" in first.stderr  # progress on stderr, the listing alone on stdout
    outputs["sw-a"][SHOW_RUN] = ios_config("sw-a", shutdown=True)
    second = _run("backup", "sw-a", "rtr-a", "-i", inv, "--store", store, "-o", "json")
    assert second.exit_code == 0
    listing = json.loads(second.stdout)
    assert [(r["device"], r["result"]) for r in listing] == [
        ("sw-a", "changed"),
        ("rtr-a", "unchanged"),
    ]
    diff = _run("diff", "sw-a", "--store", store)
    assert diff.exit_code == 0
    assert "\n interface lan0\n  ip address 198.18.2.2 255.255.255.0\n+ shutdown\n" in diff.stdout
    assert diff.stdout.startswith("--- sw-a.cfg@")
    history = _run("history", "sw-a", "--store", store, "-o", "json")
    commits = [entry["commit"] for entry in json.loads(history.stdout)]
    assert commits[0] == listing[0]["commit"] and len(commits) == 2
    between = _run("diff", "sw-a", "--store", store, "--from", commits[1], "--to", commits[1],
                   "-o", "json")  # fmt: skip
    assert (json.loads(between.stdout)["from"]["commit"], json.loads(between.stdout)["diff"]) == (
        commits[1],
        "",
    )
    same = _run("diff", "sw-a", "--store", store, "--from", commits[0], "--to", "HEAD")
    assert (same.exit_code, same.stdout) == (0, "")
    assert "sw-a: no difference between the two revisions" in same.stderr


def test_backup_of_all_reports_failures_skips_hosts_and_exits_1(
    inv: Path, tmp_path: Path, outputs: dict[str, dict[str, str]]
) -> None:
    result = _run("backup", "-i", inv, "--store", tmp_path / "s", "-o", "json")
    assert result.exit_code == 1
    got = {r["device"]: (r["result"], r["reason"]) for r in json.loads(result.stdout)}
    assert got == {
        "sw-a": ("new", ""),
        "rtr-a": ("new", ""),
        "fw-a": ("failed", "unsupported"),
        "sw-key": ("failed", "setup"),  # key: env: reference, refused before any session
        "sw-b": ("new", ""),
    }
    assert "host-a: skipped, not a network platform (linux)" in result.stderr


def test_store_from_the_environment(
    inv: Path, tmp_path: Path, outputs: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETWARDEN_CONFIG_STORE", str(tmp_path / "env-store"))
    assert _run("backup", "sw-b", "-i", inv).exit_code == 0
    assert (tmp_path / "env-store" / "sw-b.cfg").read_text() == "#\n sysname sw-b\n#\nreturn\n"
    assert config_cli.store_path(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("NETWARDEN_CONFIG_STORE")
    assert config_cli.store_path(None) == Path("/var/lib/netwarden/configs")


def _netwarden(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netwarden", "config", *map(str, args)],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def test_exit_codes_and_one_line_errors(inv: Path, tmp_path: Path) -> None:
    unknown = _netwarden("backup", "sw-zz", "-i", inv, "--store", tmp_path)
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "netwarden: error: no device 'sw-zz' in the inventory\n",
    )
    never = _netwarden("diff", "sw-a", "--store", tmp_path / "empty")
    assert (never.returncode, never.stderr) == (
        1,
        f"netwarden: error: no backup of sw-a in the store {tmp_path / 'empty'}\n",
    )


def test_a_replaced_device_is_refused_until_an_admin_trusts_its_key(
    inv: Path, tmp_path: Path, outputs: dict[str, dict[str, str]]
) -> None:
    store = tmp_path / "store"
    assert _run("backup", "sw-a", "-i", inv, "--store", store).exit_code == 0
    pinned = (tmp_path / "known_hosts" / "sw-a").read_text()
    assert fake_host_key("sw-a").blob in pinned  # pinned on first contact
    offered["sw-a"] = fake_host_key("sw-a, the replacement box")
    refused = _run("backup", "sw-a", "-i", inv, "--store", store, "-o", "json")
    assert refused.exit_code == 1
    (row,) = json.loads(refused.stdout)
    assert (row["result"], row["reason"]) == ("failed", "identity")
    assert "netwarden config trust sw-a" in row["error"]
    # --fingerprint that is not the offered key: nothing pinned
    wrong = _run("trust", "sw-a", "-i", inv, "--fingerprint", fake_host_key("x").fingerprint)
    assert wrong.exit_code == 1 and isinstance(wrong.exception, NetwardenError)
    assert "nothing pinned" in str(wrong.exception)
    assert (tmp_path / "known_hosts" / "sw-a").read_text() == pinned
    new = offered["sw-a"].fingerprint
    trusted = _run("trust", "sw-a", "-i", inv, "--fingerprint", new)
    assert trusted.exit_code == 0, trusted.output
    assert trusted.stdout == (
        f"sw-a: replaced ssh-ed25519 {new} (was {fake_host_key('sw-a').fingerprint})\n"
    )
    again = _run("trust", "sw-a", "-i", inv, "-o", "json")
    assert json.loads(again.stdout)["result"] == "unchanged"
    assert _run("backup", "sw-a", "-i", inv, "--store", store).exit_code == 0


def test_trust_of_an_enrolled_agents_device_uses_its_state_dir(
    inv: Path, tmp_path: Path, outputs: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from netwarden.agent.sync.state_dir import AgentIdentity, StateDir

    monkeypatch.delenv("NETWARDEN_KNOWN_HOSTS")
    state = StateDir(tmp_path / "agent-a")
    state.create()
    state.write_identity(AgentIdentity("agent-a", "a", "https://c:9440", False, 0.0))
    state.write_assignment(inv.read_bytes(), "etag")
    done = _run("trust", "rtr-a", "--state-dir", state.path, "-o", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["result"] == "pinned"
    assert (state.path / "known_hosts" / "rtr-a").is_file()
    both = _run("trust", "rtr-a", "--state-dir", state.path, "-i", inv)
    assert isinstance(both.exception, UsageError)  # exit 2 through the real entry point
    assert "--inventory (files) or --state-dir" in str(both.exception)
