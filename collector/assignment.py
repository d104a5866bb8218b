"""An agent's assignment: the slice of the inventory it polls, as an inventory document.

The slice is a complete inventory in the inventory's own schema, so the agent loads it with the
same loader as a hand-written file: the province, the agent, the sites of what it polls, its
devices, the links with an end on them, the services it checks and only the credentials those
devices reference. Secret fields stay references (``env:``/``file:``); values never leave the
agent host that resolves them.

A link whose far end is a device of another agent keeps that end in the external form
(``{"external": "core-rtr:wan1"}``): the slice must not name a device it does not contain,
or the agent's loader would reject it as an unknown reference.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from netwarden.inventory.model import Endpoint, Inventory, Link


def _far_end(end: Endpoint, mine: set[str]) -> Endpoint:
    if end.device is None or end.device in mine:
        return end
    return Endpoint(external=f"{end.device}:{end.interface}")


def _links(inventory: Inventory, mine: set[str]) -> list[Link]:
    kept = []
    for link in inventory.links:
        if link.a.device in mine or link.b.device in mine:
            a, b = _far_end(link.a, mine), _far_end(link.b, mine)
            kept.append(link.model_copy(update={"a": a, "b": b}))
    return kept


def assignment_for(inventory: Inventory, agent_id: str) -> dict[str, Any]:
    """The inventory document holding only what agent ``agent_id`` needs (JSON-ready).

    Raises ``KeyError`` when the inventory has no such agent.
    """
    agent = next((a for a in inventory.agents if a.id == agent_id), None)
    if agent is None:
        raise KeyError(f"no agent with id {agent_id!r}")
    devices = inventory.devices_for(agent_id)
    services = inventory.services_for(agent_id)
    mine = {d.id for d in devices}
    site_ids = {agent.site} | {d.site for d in devices} | {s.site for s in services}
    used = {d.snmp.credential for d in devices if d.snmp is not None}
    used |= {d.ssh.credential for d in devices if d.ssh is not None}
    sliced = Inventory(
        province=inventory.province,
        # advertise is the collector's business (which addresses SD may publish), and an agent
        # of an older version would refuse the key it does not know.
        agents=[agent.model_copy(update={"advertise": None})],
        sites=[s for s in inventory.sites if s.id in site_ids],
        devices=devices,
        links=_links(inventory, mine),
        services=services,
        credentials={k: v for k, v in inventory.credentials.items() if k in used},
    )
    # mode="json" writes durations as text ("60s") and secrets as their references.
    document: dict[str, Any] = sliced.model_dump(mode="json", exclude_none=True)
    return document


def canonical_json(document: Any) -> bytes:
    """One byte string per document: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def etag(document: Any) -> str:
    """The assignment's version: SHA-256 (hex) of its canonical JSON."""
    return hashlib.sha256(canonical_json(document)).hexdigest()
