"""ssh_target_for: inventory device + credential -> SshTarget, secrets kept as references."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.agent.ssh.targets import ssh_target_for
from netwarden.errors import UsageError
from netwarden.inventory import load_inventory
from netwarden.inventory.model import Inventory
from netwarden.secret import Secret


def inventory(tmp_path: Path, credential: str, ssh: str = "") -> Inventory:
    path = tmp_path / "inv.yaml"
    path.write_text(
        "province: p\nagents: [{id: a, site: s}]\nsites: [{id: s, kind: agency}]\n"
        "devices: [{id: d, site: s, address: 198.18.1.9, role: switch,"
        f" ssh: {{credential: c, platform: huawei, port: 2022, timeout: 7s{ssh}}}}}]\n"
        f"credentials: {{c: {{ssh: {credential}}}}}\n"
    )
    return load_inventory([path])


def test_password_and_enable_secret_stay_references(tmp_path: Path) -> None:
    inv = inventory(tmp_path, "{username: ops, password: 'file:/etc/nw/pw', "
                              "enable_secret: 'env:NW_ENABLE'}")  # fmt: skip
    got = ssh_target_for(inv, inv.device("d"))
    assert (got.device, got.host, got.port, got.platform, got.username, got.timeout) == (
        "d",
        "198.18.1.9",
        2022,
        "huawei",
        "ops",
        7.0,
    )
    assert got.password == Secret("file:/etc/nw/pw")
    assert got.enable_secret == Secret("env:NW_ENABLE")
    assert got.key_file is None and got.passphrase is None


def test_key_must_be_a_file_reference(tmp_path: Path) -> None:
    inv = inventory(tmp_path, "{username: ops, key: 'file:/etc/nw/id_ed25519', "
                              "passphrase: 'env:NW_KEY_PASS'}")  # fmt: skip
    got = ssh_target_for(inv, inv.device("d"))
    assert got.key_file is not None and got.key_file.target == "/etc/nw/id_ed25519"
    env_key = inventory(tmp_path, "{username: ops, key: 'env:NW_SSH_KEY'}")
    with pytest.raises(UsageError, match=r"an SSH key must be a file: reference .* not env:"):
        ssh_target_for(env_key, env_key.device("d"))


def test_device_without_ssh_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(
        "province: p\nagents: [{id: a, site: s}]\nsites: [{id: s, kind: agency}]\n"
        "devices: [{id: d, site: s, address: 198.18.1.9, role: switch}]\n"
    )
    inv = load_inventory([path])
    with pytest.raises(UsageError, match="no ssh block"):
        ssh_target_for(inv, inv.device("d"))
