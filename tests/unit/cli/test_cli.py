"""The `netwarden` command: version, help, exit codes, and errors as one readable line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from netwarden import __version__
from netwarden.cli import app

NETWARDEN = [sys.executable, "-m", "netwarden"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NETWARDEN, *args], capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip


def test_version() -> None:
    done = _run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"netwarden {__version__}"


def test_help_lists_the_command_groups_and_every_group_has_help() -> None:
    done = _run("--help")
    assert done.returncode == 0
    assert "inventory" in done.stdout
    assert "lab" in done.stdout
    # The entry point is proven above; the groups' helps run in this process (the same Typer
    # app), which spares ten interpreter start-ups.
    runner = CliRunner()
    for group, commands in {
        "inventory": ("check", "show", "schema"),
        "lab": ("up", "down", "status", "impair", "fault"),
    }.items():
        listing = runner.invoke(app, [group, "--help"])
        assert listing.exit_code == 0, listing.output
        for command in commands:
            assert command in listing.output
            shown = runner.invoke(app, [group, command, "--help"])
            assert shown.exit_code == 0, shown.output
            assert "Usage:" in shown.output


def test_unknown_command_is_a_usage_error() -> None:
    done = _run("no-such-command")
    assert done.returncode == 2


def test_a_netwarden_error_is_one_line_and_exit_1(tmp_path: Path) -> None:
    done = _run("lab", "fault", "tsl-x", "down", "--state-dir", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr == (
        "netwarden: error: the lab is not running (start it with `netwarden lab up`)\n"
    )


def test_bad_option_values_are_usage_errors_in_one_line(tmp_path: Path) -> None:
    done = _run("lab", "up", "--agencies", "0", "--state-dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == "netwarden: error: --agencies must be between 1 and 120, got 0\n"


def test_lab_status_of_no_lab_in_json(tmp_path: Path) -> None:
    done = _run("lab", "status", "--output", "json", "--state-dir", str(tmp_path))
    assert done.returncode == 0
    assert '"running": false' in done.stdout


def test_any_command_reading_an_inventory_prints_its_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "province: p\ndevices: [{id: d, site: nowhere, address: 198.18.1.1, role: host}]\n"
    )
    done = _run("poll", "d", "-i", str(bad))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == f"{bad}:2: devices[d].site: unknown site 'nowhere'"
    assert lines[-1] == "netwarden: error: inventory has 1 problem"


def test_an_error_with_line_breaks_is_still_one_line() -> None:
    from netwarden.cli import one_line

    text = "cannot read x: file could not be opened:\n- method gz: bad\n- method tar: bad\n"
    assert (
        one_line(text)
        == "cannot read x: file could not be opened:; - method gz: bad; - method tar: bad"
    )
    assert one_line("plain") == "plain"
