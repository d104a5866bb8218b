"""``from``: which agent runs a step.

- absent: the agent that polls the step's ``device`` (its ``args.device``), else the alert's
  device, else the agent that checks the alert's service, else the agent of the alert's site;
- ``core``: the agent of the core site (the site of kind ``core``);
- ``site:<id>``: the agent of that site;
- ``agent:<id>``: that agent;
- ``device:<id>``: the agent that polls that device (e.g. the far end of a link).

Templates are rendered first (``from: "device:{{ link.far.device }}"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from netwarden.errors import NetwardenError
from netwarden.inventory.ids import ID_PATTERN
from netwarden.inventory.model import Inventory

Kind = Literal["core", "site", "agent", "device"]
FORMS = "core, site:<site id>, agent:<agent id> or device:<device id>"
_ID = re.compile(ID_PATTERN)


class PlacementError(NetwardenError):
    """No agent can be found for a step (one line, names what was looked for)."""


@dataclass(frozen=True)
class Placement:
    kind: Kind
    ident: str | None = None


def parse(text: str) -> Placement:
    """A ``from`` value (rendered); :class:`PlacementError` naming the forms otherwise."""
    value = text.strip()
    if value == "core":
        return Placement("core")
    kind, sep, ident = value.partition(":")
    if sep and kind in ("site", "agent", "device") and _ID.match(ident):
        return Placement(kind, ident)  # type: ignore[arg-type]  # checked just above
    raise PlacementError(f"'from' must be {FORMS}, not {value[:80]!r}")


def _site_agent(inventory: Inventory, site: str, why: str) -> str:
    agents = inventory.agents_at(site)
    if not agents:
        raise PlacementError(f"{why}: site {site} has no agent")
    return agents[0].id


def _core_agent(inventory: Inventory) -> str:
    cores = [s.id for s in inventory.sites if s.kind == "core"]
    for site in cores:
        if inventory.agents_at(site):
            return inventory.agents_at(site)[0].id
    raise PlacementError("from core: the inventory has no core site with an agent")


def _device_agent(inventory: Inventory, device: str, why: str) -> str:
    try:
        return inventory.agent_of(device)
    except KeyError:
        raise PlacementError(f"{why}: no device {device} in the inventory") from None
    except LookupError as exc:
        raise PlacementError(f"{why}: {exc}") from None


def resolve(
    placement: Placement | None,
    inventory: Inventory,
    args: Mapping[str, Any],
    labels: Mapping[str, str],
) -> str:
    """The agent id that runs a step placed at ``placement`` (None: the default)."""
    if placement is None:
        return default_agent(inventory, args, labels)
    if placement.kind == "core":
        return _core_agent(inventory)
    ident = placement.ident or ""
    if placement.kind == "agent":
        if ident not in {a.id for a in inventory.agents}:
            raise PlacementError(f"from agent:{ident}: no such agent in the inventory")
        return ident
    if placement.kind == "site":
        if ident not in {s.id for s in inventory.sites}:
            raise PlacementError(f"from site:{ident}: no such site in the inventory")
        return _site_agent(inventory, ident, f"from site:{ident}")
    return _device_agent(inventory, ident, f"from device:{ident}")


def default_agent(inventory: Inventory, args: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """The agent of the step's device, else of the alert's device, service or site."""
    device = args.get("device")
    if isinstance(device, str):
        return _device_agent(inventory, device, f"args.device {device}")
    if labels.get("device") in {d.id for d in inventory.devices}:
        return _device_agent(inventory, labels["device"], f"the alert's device {labels['device']}")
    service = next((s for s in inventory.services if s.id == labels.get("service")), None)
    if service is not None:
        checker = inventory.agent_of_service(service)
        if checker is not None:
            return checker
    site = labels.get("site")
    if site in {s.id for s in inventory.sites}:
        return _site_agent(inventory, site, f"the alert's site {site}")
    raise PlacementError(
        "cannot tell which agent runs this step: no args.device, and the alert names no "
        "known device, service or site (give the step a 'from')"
    )
