"""The JSON Schema of a playbook file, generated from the model.

The published copy is ``playbooks/playbook.schema.json``; a test regenerates it and fails on
drift. To refresh it: ``netwarden playbook schema > playbooks/playbook.schema.json``.
``args`` is an object here: its keys depend on the action (docs/playbook-actions.md), and its
values may be templates, which ``playbook check`` renders no judgement on until they run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from netwarden.playbooks.model import Playbook

SCHEMA_PATH = Path(__file__).with_name("playbook.schema.json")
SCHEMA_ID = "https://netwarden.invalid/playbook.schema.json"


def playbook_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one playbook file."""
    schema = Playbook.model_json_schema(mode="validation", by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    """The schema as the exact text of the published file."""
    return json.dumps(playbook_schema(), indent=2, ensure_ascii=False) + "\n"
