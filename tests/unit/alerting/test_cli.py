"""`netwarden alerting rules|generate` from the command line: exit codes, one-line errors,
problems as FILE:LINE, and a sub-app that imports nothing heavy until a command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli_in_process import run_in_process

REPO = Path(__file__).parents[3]
NETWARDEN = [sys.executable, "-m", "netwarden"]


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NETWARDEN, *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


def test_help_lists_the_commands() -> None:
    done = run("alerting", "--help")
    assert done.returncode == 0
    assert "rules" in done.stdout and "generate" in done.stdout
    # The sub-app's entry is proven above; the commands' helps run in this process.
    for command in ("rules", "generate"):
        shown = run_in_process("alerting", command, "--help")
        assert shown.returncode == 0, shown.stderr
        assert "Usage:" in shown.stdout


def test_the_sub_app_imports_nothing_heavy() -> None:
    code = (
        "import sys, netwarden.alerting.alerting_commands; "
        "print(sorted(m for m in sys.modules if m in ('yaml', 'pydantic') "
        "or m.startswith(('netwarden.inventory', 'netwarden.alerting.generate'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_rules_check_in_the_repository() -> None:
    done = run("alerting", "rules", "--check")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok: the rule files are the rendering of the thresholds\n"


def test_rules_writes_every_file_and_check_finds_a_changed_one(tmp_path: Path) -> None:
    args = [
        "--thresholds",
        str(REPO / "prometheus" / "thresholds.yml"),
        "--rules-dir",
        str(tmp_path / "rules"),
        "--test-rules-dir",
        str(tmp_path / "test-rules"),
    ]
    done = run("alerting", "rules", *args)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 18  # nine groups and their test copies
    assert run("alerting", "rules", *args, "--check").returncode == 0
    hosts = tmp_path / "rules" / "netwarden-hosts.yml"
    hosts.write_text(hosts.read_text().replace("< 0.1", "< 0.2"))
    done = run("alerting", "rules", *args, "--check")
    assert done.returncode == 1
    assert done.stderr == (
        f"{hosts}: not the rendering of the thresholds; run `netwarden alerting rules`\n"
    )


def test_bad_thresholds_are_problem_lines_and_exit_1(tmp_path: Path) -> None:
    override = tmp_path / "mine.yml"
    override.write_text("rules:\n  NetwardenHostDiskFull:\n    available_below: 10\n")
    done = run(
        "alerting",
        "rules",
        "-t",
        str(REPO / "prometheus" / "thresholds.yml"),
        "-t",
        str(override),
        "--rules-dir",
        str(tmp_path / "r"),
        "--test-rules-dir",
        str(tmp_path / "t"),
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"{override}:3: rules.NetwardenHostDiskFull.available_below: must be a number from 0 "
        "to 1\nnetwarden: error: the thresholds file has 1 problem\n"
    )
    assert not (tmp_path / "r").exists()


def test_generate_without_its_configuration(tmp_path: Path) -> None:
    missing = tmp_path / "alerting.yaml"
    done = run(
        "alerting", "generate", "-i", str(REPO / "examples" / "province"), "--config", str(missing)
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"{missing}:1: cannot read: no such file or directory\n"
        "netwarden: error: the alerting configuration has 1 problem\n"
    )


def test_generate_with_a_bad_inventory(tmp_path: Path) -> None:
    bad = tmp_path / "inventory.yaml"
    bad.write_text("province: p\nsites: [{id: a, kind: agency}]\nagents: [{id: x, site: b}]\n")
    done = run(
        "alerting", "generate", "-i", str(bad), "--config", str(REPO / "examples" / "alerting.yaml")
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"{bad}:3: agents[x].site: unknown site 'b'\nnetwarden: error: inventory has 1 problem\n"
    )
