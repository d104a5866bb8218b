"""No secret value ever prints: not in repr/str, JSON, CLI output or logs.

The secrets are set to a recognisable canary; the test proves they are reachable (reveal) and
then searches everything the inventory can print for it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.inventory import load_inventory

CANARY = "CANARY-7f3a"
ENV = ("NW_SNMP_AUTH", "NW_SNMP_PRIV", "NW_SSH_PASS", "NW_ENABLE")


@pytest.fixture
def with_secrets(contract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ENV:
        monkeypatch.setenv(name, f"{CANARY}-{name}")
    community = tmp_path / "community"
    community.write_text(f"{CANARY}-community\n", encoding="utf-8")
    text = contract.read_text(encoding="utf-8")
    contract.write_text(text.replace("file:/etc/netwarden/community", f"file:{community}"), "utf-8")
    return contract


def test_secret_values_never_print(with_secrets: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    inv = load_inventory([with_secrets])
    snmp = inv.credential("snmp-lab-v2").snmp
    assert snmp is not None
    assert snmp.community is not None
    assert snmp.community.reveal() == f"{CANARY}-community"  # the canary is really there

    runner = CliRunner()
    printed = [
        repr(inv),
        str(inv),
        inv.model_dump_json(),
        str(inv.model_dump()),
        str(inv.model_dump(mode="json")),
    ]
    for args in (["show", "-o", "json"], ["show", "-o", "table"], ["check"]):
        result = runner.invoke(app, ["inventory", *args, str(with_secrets)])
        assert result.exit_code == 0
        printed.append(result.output)
    printed.append(caplog.text)
    for text in printed:
        assert CANARY not in text
    assert "env:NW_SNMP_AUTH" in printed[2]  # the reference is what is shown


def test_literal_secret_is_an_error_that_does_not_echo_it(tmp_path: Path) -> None:
    path = tmp_path / "lit.yaml"
    path.write_text(
        f"province: p\ncredentials:\n  s: {{ssh: {{username: u, password: {CANARY}}}}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["inventory", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:3: credentials.s.ssh.password: must be a secret ")
    assert CANARY not in result.output
