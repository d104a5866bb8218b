"""A backup proves it reached the device it is for: the prompt's name, the configuration's
hostname/sysname line and the pinned host key; on a mismatch nothing is stored and the reason
is ``identity``. Through the real SshPool and the in-repo fake runner."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from netwarden.agent.configs.device_name import backup_target, configured_name, name_mismatch
from netwarden.agent.configs.fetch import BackupResult, backup_device
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.ssh.fake import FakeSshRunner, fake_host_key
from netwarden.agent.ssh.identity import HostKeyPins
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.targets import expected_hostname, ssh_target_for
from netwarden.inventory import load_inventory

from .helpers import SHOW_RUN, ios_config, target

OTHER = "sw-so-khcn-core"  # what answers at the address when it is reached from outside a NAT
WANTED = "sw-p-phan-dinh-phung-core"


def _backup(
    runner: FakeSshRunner, store: ConfigStore, *, expected: str | None = WANTED
) -> BackupResult:
    pool = SshPool(runner, 2)
    wanted = dataclasses.replace(target(WANTED), expected_hostname=expected, name_required=True)
    try:
        return asyncio.run(backup_device(pool, wanted, store, deadline=5))
    finally:
        pool.close()


def test_a_prompt_naming_another_device_stores_nothing(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "store")
    pins = HostKeyPins(tmp_path / "kh")
    runner = FakeSshRunner({SHOW_RUN: ios_config(OTHER)}, prompts={WANTED: OTHER}, pins=pins)
    result = _backup(runner, store)
    assert (result.success, result.outcome, result.reason) == (False, "failed", "identity")
    assert OTHER in result.error and WANTED in result.error
    assert not (tmp_path / "store").exists()  # nothing stored, not even an empty repository
    assert pins.pinned(WANTED) is None  # and the stranger's key is not pinned


def test_a_configuration_naming_another_device_stores_nothing(tmp_path: Path) -> None:
    # The prompt agrees (a device renamed at the prompt only?) but the configuration does not.
    store = ConfigStore(tmp_path / "store")
    result = _backup(FakeSshRunner({SHOW_RUN: ios_config(OTHER)}), store)
    assert result.reason == "identity"
    assert f"names {OTHER!r} (its hostname line), not {WANTED!r}" in result.error
    assert not (tmp_path / "store").exists()


def test_names_compare_case_insensitively_up_to_the_first_dot(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "store")
    config = ios_config(f"{WANTED.upper()}.thainguyen.gov.vn")
    runner = FakeSshRunner({SHOW_RUN: config}, prompts={WANTED: WANTED.upper()})
    result = _backup(runner, store)
    assert (result.success, result.outcome) == (True, "new")


def test_no_check_asked_stores_whatever_answered(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "store")
    runner = FakeSshRunner({SHOW_RUN: ios_config(OTHER)}, prompts={WANTED: OTHER})
    assert _backup(runner, store, expected=None).outcome == "new"


def test_a_changed_host_key_stores_nothing(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "store")
    pins = HostKeyPins(tmp_path / "kh")
    pins.pin(WANTED, fake_host_key("the old box"), "198.18.2.2", 2222, "first contact")
    runner = FakeSshRunner({SHOW_RUN: ios_config(WANTED)}, pins=pins)
    result = _backup(runner, store)
    assert result.reason == "identity" and "host key changed" in result.error
    assert not (tmp_path / "store").exists()
    assert runner.sessions == [(WANTED, (SHOW_RUN,))]  # refused before any command output


def test_sysname_lines_of_vrp_and_comware() -> None:
    assert configured_name("#\nsysname rtr-a\n#\nreturn\n") == "rtr-a"
    assert configured_name("#\n sysname sw-b\n#\n") == "sw-b"  # Comware indents it
    assert configured_name('version 15.9\n!\nhostname "core-rtr"\n') == "core-rtr"
    assert configured_name("! no name line\nend\n") is None
    assert configured_name("interface x\n description hostname of the box\n") is None
    # A configuration without any name line cannot contradict the prompt: accepted.
    checked = dataclasses.replace(target("sw-a"), expected_hostname="sw-a", name_required=True)
    assert name_mismatch(checked, "interface lan0\n shutdown\n") == ""


INVENTORY = """\
province: p
agents: [{id: agent-a, site: a}]
sites: [{id: a, kind: agency}]
credentials: {c: {ssh: {username: ops, password: "env:NW_UNUSED"}}}
devices:
- {id: sw-id, site: a, address: 198.18.2.2, role: switch, ssh: {credential: c, platform: cisco_ios}}
- {id: sw-named, site: a, address: 198.18.2.3, role: switch,
   ssh: {credential: c, platform: huawei, hostname: HQ-CORE-01}}
- {id: sw-free, site: a, address: 198.18.2.4, role: switch,
   ssh: {credential: c, platform: hp_comware, hostname_check: false}}
- {id: host-1, site: a, address: 198.18.2.5, role: host, ssh: {credential: c, platform: linux}}
"""


def test_what_name_the_inventory_expects(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY)
    inv = load_inventory([path])
    assert expected_hostname(inv.device("sw-id")) == "sw-id"
    assert expected_hostname(inv.device("sw-named")) == "HQ-CORE-01"
    assert expected_hostname(inv.device("sw-free")) is None
    assert expected_hostname(inv.device("host-1")) is None  # a shell prompt names no one
    backup = backup_target(inv, inv.device("sw-named"))
    assert (backup.expected_hostname, backup.name_required) == ("HQ-CORE-01", True)
    collection = ssh_target_for(inv, inv.device("sw-named"))
    assert (collection.expected_hostname, collection.name_required) == ("HQ-CORE-01", False)


@pytest.mark.parametrize(
    "hostname", ["", " lead", "trail ", "tab\there", "x" * 256]
)  # fmt: skip
def test_a_hostname_that_no_device_can_have_is_an_inventory_problem(
    tmp_path: Path, hostname: str
) -> None:
    from netwarden.inventory.loader import check

    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY.replace("hostname: HQ-CORE-01", f"hostname: {json.dumps(hostname)}"))
    inv, problems = check([path])
    assert inv is None
    assert len(problems) == 1 and "devices[sw-named].ssh.hostname: must be the name" in problems[0]
