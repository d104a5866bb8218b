"""The JSON Schema of the inventory format, generated from the model.

The published copy is ``inventory/inventory.schema.json``; a test regenerates it and fails on
drift. To refresh it: ``netwarden inventory schema > inventory/inventory.schema.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from netwarden.inventory.model import Inventory

SCHEMA_PATH = Path(__file__).with_name("inventory.schema.json")
SCHEMA_ID = "https://netwarden.invalid/inventory.schema.json"


def inventory_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one inventory file, as pydantic generates it."""
    schema = Inventory.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    """The schema as the exact text of the published file."""
    return json.dumps(inventory_schema(), indent=2, ensure_ascii=False) + "\n"
