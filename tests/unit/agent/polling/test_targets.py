"""Inventory device -> SNMP target, with secrets resolved on the agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.agent.polling.targets import target_for
from netwarden.agent.snmp.types import V2cCredentials, V3Credentials
from netwarden.errors import SecretError
from netwarden.inventory import load_inventory

CONTRACT = Path(__file__).parents[2] / "inventory" / "contract.yaml"


def test_v3_target_from_the_contract_inventory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NW_SNMP_AUTH", "auth-pass-123")
    monkeypatch.setenv("NW_SNMP_PRIV", "priv-pass-456")
    inventory = load_inventory([CONTRACT])
    target = target_for(inventory, inventory.device("sw-so-khcn-core"))
    assert (target.host, target.port, target.timeout, target.retries) == ("198.18.1.2", 161, 2.0, 1)
    assert target.credentials == V3Credentials(
        "labv3", "sha", b"auth-pass-123", "aes", b"priv-pass-456"
    )
    assert "auth-pass-123" not in repr(target)


def test_v2c_community_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "community"
    secret.write_text("s3cret-community\n")
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        "province: p\nagents: [{id: a, site: s}]\nsites: [{id: s, kind: agency}]\n"
        "devices: [{id: d, site: s, address: 198.18.1.9, role: switch,"
        " snmp: {credential: c, port: 1161, timeout: 500ms, retries: 0}}]\n"
        f"credentials: {{c: {{snmp: {{version: 2c, community: 'file:{secret}'}}}}}}\n"
    )
    inventory = load_inventory([inv])
    target = target_for(inventory, inventory.device("d"))
    assert target.credentials == V2cCredentials(b"s3cret-community")
    assert (target.port, target.timeout, target.retries) == (1161, 0.5, 0)
    assert "s3cret" not in repr(target)


def test_a_missing_secret_is_a_secret_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NW_SNMP_AUTH", raising=False)
    inventory = load_inventory([CONTRACT])
    with pytest.raises(SecretError, match="NW_SNMP_AUTH"):
        target_for(inventory, inventory.device("core-rtr"))
