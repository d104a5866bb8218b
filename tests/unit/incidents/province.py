"""The small province of the incident tests (tests/data/incidents/province.yaml)."""

from __future__ import annotations

from pathlib import Path

from netwarden.inventory import Inventory, load_inventory

PROVINCE = Path(__file__).parents[2] / "data" / "incidents" / "province.yaml"


def province() -> Inventory:
    return load_inventory([PROVINCE])
