"""``netwarden inventory check|show|schema`` on valid and invalid inventories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.inventory import load_inventory
from netwarden.inventory.schema import SCHEMA_PATH

SUMMARY = "ok: thai-nguyen — 3 sites, 3 agents, 2 devices, 1 links, 2 services, 3 credentials"


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert isinstance(result.exception, SystemExit | None), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_check_valid_prints_one_summary_line(contract: Path) -> None:
    assert _run("inventory", "check", contract) == (0, SUMMARY + "\n", "")


def test_check_as_a_process_exit_codes(contract: Path, tmp_path: Path) -> None:
    def run(path: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "netwarden", "inventory", "check", str(path)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    good = run(contract)
    assert (good.returncode, good.stdout, good.stderr) == (0, SUMMARY + "\n", "")
    bad = run(tmp_path / "missing.yaml")
    assert bad.returncode == 1
    assert bad.stdout == f"{tmp_path / 'missing.yaml'}:1: no such file or directory\n"
    assert "Traceback" not in bad.stderr


def test_missing_path_is_one_problem_line(tmp_path: Path) -> None:
    code, out, err = _run("inventory", "check", tmp_path / "nope.yaml")
    assert (code, out) == (1, f"{tmp_path / 'nope.yaml'}:1: no such file or directory\n")
    assert err == "netwarden: inventory has 1 problem\n"


def test_directory_without_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    code, out, _ = _run("inventory", "check", tmp_path)
    assert (code, out) == (1, f"{tmp_path}:1: no *.yaml or *.yml files in this directory\n")


def test_no_path_is_a_usage_error() -> None:
    code, _, err = _run("inventory", "check")
    assert code == 2
    assert "Missing argument 'PATH'" in err


def test_show_table(contract: Path) -> None:
    code, out, err = _run("inventory", "show", contract)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "province: thai-nguyen"
    header = "ID               SITE     AGENT          ADDRESS       ROLE    SNMP"
    assert any(line.startswith(header) for line in lines)
    assert (
        "sw-so-khcn-core  so-khcn  agent-so-khcn  198.18.1.2    switch  "
        "snmp-lab-v3 :161 2s  cisco_ios :2222"
    ) in lines
    assert (
        "core-rtr         core     agent-core     198.18.100.1  router  snmp-lab-v3 :161 2s"
        in lines
    )
    for title in ("sites (3)", "agents (3)", "devices (2)", "links (1)", "services (2)"):
        assert title in lines
    assert "credentials (3)" in lines
    assert any("env:NW_SNMP_AUTH" in line for line in lines)


def test_show_json_is_the_full_model(contract: Path) -> None:
    code, out, _ = _run("inventory", "show", "--output", "json", contract)
    assert code == 0
    data = json.loads(out)
    assert data == json.loads(load_inventory([contract]).model_dump_json())
    device = data["devices"][1]
    assert device["snmp"] == {
        "credential": "snmp-lab-v3",
        "port": 161,
        "timeout": "2s",
        "retries": 1,
        "interval": "1m",
    }
    snmp = data["credentials"]["snmp-lab-v3"]["snmp"]
    assert snmp["version"] == "3"
    assert snmp["auth"] == {"protocol": "sha", "secret": "env:NW_SNMP_AUTH"}
    assert "Sở Khoa học và Công nghệ" in out  # not \u-escaped


def test_show_invalid_prints_problems_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("province: p\nsites: [{id: s}]\n", encoding="utf-8")
    code, out, err = _run("inventory", "show", "-o", "json", path)
    assert (code, out) == (1, "")
    assert err == f"{path}:2: sites[s].kind: is required\nnetwarden: inventory has 1 problem\n"


def test_schema_command_prints_the_published_schema() -> None:
    code, out, _ = _run("inventory", "schema")
    assert code == 0
    assert out == SCHEMA_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("output", ["table", "json"])
def test_show_merges_a_directory(tmp_path: Path, output: str) -> None:
    (tmp_path / "a.yaml").write_text("province: p\nsites: [{id: s, kind: core}]\n", "utf-8")
    (tmp_path / "b.yml").write_text("agents: [{id: a, site: s}]\n", "utf-8")
    code, out, _ = _run("inventory", "show", "--output", output, tmp_path)
    assert code == 0
    assert "agents" in out


def test_show_writes_ipv6_checks_in_brackets_and_the_ca_they_trust(tmp_path: Path) -> None:
    path = tmp_path / "v6.yaml"
    path.write_text(
        "province: p\nagents: [{id: a, site: s}]\nsites: [{id: s, kind: datacentre}]\n"
        "services:\n"
        '  - {id: ssh-v6, site: s, check: {tcp: {host: "2001:2:0:10::5", port: 22}}}\n'
        '  - {id: portal, site: s, check: {http: {url: "https://[2001:2:0:10::5]/",'
        " ca_file: /etc/netwarden/tinh-ca.pem}}}\n",
        encoding="utf-8",
    )
    code, out, err = _run("inventory", "show", path)
    assert (code, err) == (0, "")
    assert "tcp [2001:2:0:10::5]:22" in out
    assert "http https://[2001:2:0:10::5]/ -> 200 (CA /etc/netwarden/tinh-ca.pem)" in out
