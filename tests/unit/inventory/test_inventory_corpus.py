"""The corpus of broken inventories in tests/data/invalid, checked through the real CLI.

Each case is ``NAME.yaml`` (or a directory ``NAME/`` for merge cases) and ``NAME.expected``
with the exact lines ``netwarden inventory check NAME.yaml`` must print, paths relative to
tests/data/invalid (the test runs there). To add a case, write both files; review the
expected lines by hand: they are the specification.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.inventory import yaml_source

CORPUS = Path(__file__).parents[2] / "data" / "invalid"
CASES = sorted(path.stem for path in CORPUS.glob("*.expected"))


def _target(name: str) -> str:
    return f"{name}.yaml" if (CORPUS / f"{name}.yaml").is_file() else name


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 20
    inputs = {p.stem for p in CORPUS.iterdir() if p.suffix != ".expected"}
    assert inputs == set(CASES), "every input needs a .expected file and vice versa"


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run with PyYAML's C parser (when built in) and without: the output must not differ."""
    if request.param == "pure-python":
        monkeypatch.setattr(yaml_source, "_FAST_LOADER", yaml.SafeLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML was built without libyaml")
    return str(request.param)


@pytest.mark.parametrize("name", CASES)
def test_invalid_inventory(name: str, parser: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    expected = (CORPUS / f"{name}.expected").read_text(encoding="utf-8").splitlines()
    result = CliRunner().invoke(app, ["inventory", "check", _target(name)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), "no traceback, ever"
    assert result.stdout.splitlines() == expected
    noun = "problem" if len(expected) == 1 else "problems"
    assert result.stderr == f"netwarden: inventory has {len(expected)} {noun}\n"


def test_literal_secrets_are_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    result = CliRunner().invoke(app, ["inventory", "check", "literal-secrets.yaml"])
    for leaked in ("LEAK", "hunter2", "public", "12345678", "relative"):
        assert leaked not in result.output
