"""Which devices a backup run takes, and why the others are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.agent.configs.plan import Skipped, plan_backups
from netwarden.errors import UsageError
from netwarden.inventory import load_inventory
from netwarden.inventory.model import Inventory

from .helpers import INVENTORY


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY)
    return load_inventory([path])


def test_all_devices_with_backup_on_network_platforms(inventory: Inventory) -> None:
    chosen, skipped = plan_backups(inventory)
    # backup: false (sw-quiet) and no ssh block (cam-a) are not even mentioned; a host is.
    assert [d.id for d in chosen] == ["sw-a", "rtr-a", "fw-a", "sw-key", "sw-b"]
    assert skipped == [Skipped("host-a", "not a network platform (linux)")]


def test_one_agents_slice(inventory: Inventory) -> None:
    chosen, _ = plan_backups(inventory, agent="agent-b")
    assert [d.id for d in chosen] == ["sw-b"]


def test_named_devices_are_taken_whatever_their_backup_flag(inventory: Inventory) -> None:
    chosen, skipped = plan_backups(inventory, ["sw-quiet", "host-a", "cam-a", "sw-quiet"])
    assert [d.id for d in chosen] == ["sw-quiet"]
    assert skipped == [
        Skipped("host-a", "not a network platform (linux)"),
        Skipped("cam-a", "no ssh block in the inventory"),
    ]


def test_an_unknown_device_is_a_usage_error_naming_it(inventory: Inventory) -> None:
    with pytest.raises(UsageError, match=r"^no device 'sw-x', 'sw-y' in the inventory$"):
        plan_backups(inventory, ["sw-a", "sw-x", "sw-y"])
