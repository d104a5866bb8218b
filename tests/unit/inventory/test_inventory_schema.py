"""The published JSON Schema is exactly what the model generates (drift check)."""

from __future__ import annotations

import json

from netwarden.inventory.schema import SCHEMA_PATH, inventory_schema, schema_text


def test_published_schema_matches_the_model() -> None:
    published = SCHEMA_PATH.read_text(encoding="utf-8")
    assert published == schema_text(), (
        "inventory/inventory.schema.json is stale: regenerate it with "
        "`netwarden inventory schema > inventory/inventory.schema.json`"
    )


def test_schema_describes_the_contract() -> None:
    schema = inventory_schema()
    assert schema["required"] == ["province"]
    assert set(schema["properties"]) == {
        "province",
        "agents",
        "sites",
        "devices",
        "links",
        "services",
        "credentials",
    }
    device = schema["$defs"]["Device"]
    assert device["additionalProperties"] is False
    assert set(device["required"]) == {"id", "site", "address", "role"}
    snmp = schema["$defs"]["SnmpAccess"]["properties"]
    assert snmp["timeout"]["default"] == "2s"
    assert snmp["port"]["default"] == 161
    json.dumps(schema)  # plain JSON, nothing Python-only in it
