"""``netwarden inventory discover``: usage errors (as a process, before any packet is sent),
and the output, --write and validation with the network seams replaced by fakes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from discover_fakes import ENV, V3, FakeArp, FakePinger, FakeTcp, SnmpLan, system, write_inventory
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.discovery import discover_cli
from netwarden.discovery.fragment import MARKER
from netwarden.inventory import load_inventory

LINUX = "Linux sw-so-khcn-core 6.1.0 #1 SMP x86_64"


@pytest.fixture
def path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return write_inventory(tmp_path)


def _process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "netwarden", "inventory", "discover", *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--site", "nowhere", "--cidr", "198.18.1.0/24"),
         "--site nowhere: no such site in the inventory"),
        (("--site", "so-khcn", "--cidr", "198.18.0.0/15"),
         "--cidr 198.18.0.0/15 is 131,072 addresses: discovery sweeps at most a /16"),
        (("--site", "so-khcn", "--cidr", "198.18.1.0/24", "--credential", "nope"),
         "--credential nope: no such credential in the inventory"),
        (("--site", "so-khcn", "--cidr", "198.18.1.0/24", "--timeout", "0"),
         "--timeout must be more than 0 and at most 10 s"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_in_one_line(path: Path, args: tuple[str, ...], message: str) -> None:
    done = _process(*args, "-i", path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"netwarden: error: {message}")
    assert done.stderr.count("\n") == 1 and done.stdout == ""


def test_no_inventory_is_a_usage_error() -> None:
    done = _process("--site", "so-khcn", "--cidr", "198.18.1.0/24")
    assert (done.returncode, done.stderr) == (
        2, "netwarden: error: give the inventory with --inventory/-i PATH (file or directory)\n"
    )  # fmt: skip


def test_write_refuses_a_file_discover_did_not_write(path: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "devices.yaml"
    foreign.write_text("devices: []\n", encoding="utf-8")
    done = _process("--site", "so-khcn", "--cidr", "198.18.1.0/24", "-i", path,
                    "--write", foreign)  # fmt: skip
    assert done.returncode == 2
    assert "exists and was not written by discover; refusing to overwrite" in done.stderr
    assert foreign.read_text(encoding="utf-8") == "devices: []\n"


@pytest.fixture
def fake_lan(monkeypatch: pytest.MonkeyPatch) -> SnmpLan:
    """Replace the command's network seams: .2 (SNMP v3), .50 camera, .99 quiet (ARP only)."""
    lan = SnmpLan()
    lan.add("198.18.1.2", V3, system(LINUX, "1.3.6.1.4.1.8072.3.2.10", "sw-so-khcn-core", 1))
    monkeypatch.setattr(discover_cli, "SweepPinger",
                        lambda: FakePinger({"198.18.1.2", "198.18.1.50"}))  # fmt: skip
    monkeypatch.setattr(discover_cli, "UdpSnmpSession", lan)
    monkeypatch.setattr(discover_cli, "probe_tcp", FakeTcp({"198.18.1.50": {554}}))
    monkeypatch.setattr(discover_cli, "ScapyArp", lambda: FakeArp({"198.18.1.99": "02:00::99"}))
    monkeypatch.setattr(discover_cli, "read_local_addresses", frozenset)
    return lan


def _invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["inventory", "discover", *map(str, args)])
    assert isinstance(result.exception, SystemExit | None), result.exception
    return result.exit_code, result.stdout, result.stderr


BASE = ("--site", "so-khcn", "--cidr", "198.18.1.0/24")


def test_yaml_output_is_the_fragment_then_the_diff_as_comments(
    path: Path, fake_lan: SnmpLan
) -> None:
    code, out, err = _invoke(*BASE, "-i", path)
    assert code == 0, err
    assert out.startswith(MARKER)
    # The whole of stdout is YAML: the diff and notes are comments after the fragment.
    assert yaml.safe_load(out) == {
        "devices": [{"id": "so-khcn-198-18-1-99", "site": "so-khcn", "address": "198.18.1.99",
                     "role": "host"}],
        "links": [],
    }  # fmt: skip
    diff = out[out.index("# --- diff") :].splitlines()
    assert [line[:16] for line in diff[1:5]] == [
        "# = 198.18.1.2  ", "# = 198.18.1.50 ", "# - 198.18.1.80 ", "# + 198.18.1.99 ",
    ]  # fmt: skip
    assert "# ARP on eth9: fake" in out
    assert "3 answered" in err and "1 new, 0 changed, 2 known, 1 known but silent" in err
    assert "discover: ICMP sweep 254/254" in err  # plain progress: stderr is not a terminal


def test_json_output_for_scripts(path: Path, fake_lan: SnmpLan) -> None:
    code, out, _ = _invoke(*BASE, "-i", path, "--output", "json", "--no-arp")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"devices", "links", "diff", "notes"}
    assert [d["address"] for d in data["devices"]] == ["198.18.1.2", "198.18.1.50"]
    assert data["devices"][0]["snmp"] == {"credential": "snmp-v3"}
    assert [(e["op"], e["address"]) for e in data["diff"]] == [
        ("=", "198.18.1.2"), ("=", "198.18.1.50"), ("-", "198.18.1.80"),
    ]  # fmt: skip


def test_write_then_rewrite_its_own_file(path: Path, tmp_path: Path, fake_lan: SnmpLan) -> None:
    target = tmp_path / "discovered.yaml"
    code, _, err = _invoke(*BASE, "-i", path, "--write", target)
    assert code == 0, err
    written = target.read_text(encoding="utf-8")
    assert written.startswith(MARKER) and "# --- diff" not in written
    merged = load_inventory([path, target])
    assert merged.device("so-khcn-198-18-1-99").role == "host"
    # Run again with the written file as part of the inventory: it is discover's own file,
    # so it is left out and rewritten with the same devices instead of emptied.
    code, out, err = _invoke(*BASE, "-i", path, "-i", target, "--write", target)
    assert code == 0, err
    assert "discover's own file: left out of the inventory and rewritten" in out
    assert target.read_text(encoding="utf-8") == written


def test_nothing_is_written_without_write(path: Path, tmp_path: Path, fake_lan: SnmpLan) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    assert _invoke(*BASE, "-i", path)[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before
