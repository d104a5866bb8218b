"""``playbook check``: the corpus of bad playbooks, each problem at its PATH:LINE with its
exact message; the built-ins are valid; the published schema does not drift."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.playbooks.loader import builtin, check
from netwarden.playbooks.schema import SCHEMA_PATH, schema_text

DATA = Path(__file__).parents[2] / "data" / "playbooks"
BAD = DATA / "bad"


def test_every_bad_playbook_gets_its_exact_messages() -> None:
    expected = (DATA / "bad.expected").read_text(encoding="utf-8").splitlines()
    found = check([BAD.relative_to(Path.cwd()) if BAD.is_relative_to(Path.cwd()) else BAD])
    assert found.playbooks == []
    assert [line.split("bad/", 1)[1] for line in found.problems] == [
        line.split("bad/", 1)[1] for line in expected
    ]
    files = {line.split("bad/", 1)[1].split(":")[0] for line in expected}
    assert files == {p.name for p in BAD.glob("*.yaml")}  # each file has a problem


def test_the_approval_path_is_named_through_when_and_goto() -> None:
    found = "\n".join(check([BAD]).problems)
    assert "look -> ask (skipped: 'when' false) -> shut" in found
    assert "look (failed, goto shut) -> shut" in found
    assert "ask (failed, continue) -> shut" in found
    assert "goto makes a cycle: first -> second -> first" in found


def test_an_approval_on_every_path_passes(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        """\
id: guarded
title: Approval on every path
steps:
  - id: look
    action: ping
    args: {device: sw-so-tc}
    on_failure: {goto: ask}
  - id: ask
    action: approval
    args: {role: admin}
  - id: shut
    action: set_interface_admin
    args: {device: sw-so-tc, interface: Gi0/1, state: down}
""",
        encoding="utf-8",
    )
    assert check([good]).problems == []


def test_builtins_are_valid_and_the_cli_exits_1_on_problems() -> None:
    assert {p.playbook.id for p in builtin()} >= {"link-down"}
    runner = CliRunner()
    bad = runner.invoke(app, ["playbook", "check", str(BAD / "goto-cycle.yaml")])
    assert bad.exit_code == 1
    assert "goto-cycle.yaml:11: steps[second].on_failure.goto: goto makes a cycle" in bad.output
    good = runner.invoke(app, ["playbook", "check", str(Path(builtin()[0].file).parent)])
    assert good.exit_code == 0, good.output


def test_the_published_schema_matches_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()
    assert json.loads(schema_text())["properties"]["steps"]["type"] == "array"
