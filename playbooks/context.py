"""The template context a run starts with: the alert, its labels, the inventory objects they
name, the incident and the inputs (kept in the run, JSON, so it finishes as it began).

``link`` also has ``near`` and ``far``: the end whose device raised the alert, and the other
one (the agency side of a dedicated-data-network line seen down from the core), each with
its device's ``address`` and ``site``; ``uplink`` is the alert's device's own link (the switch it
hangs from), with the same keys. No credential is ever put in the context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netwarden.inventory.model import Inventory, Link
from netwarden.playbooks.model import Playbook, input_fits
from netwarden.playbooks.templates import TemplateError


def _dump(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = obj.model_dump(mode="json", exclude_none=True)
    return data


def _end(inventory: Inventory, end: Any) -> dict[str, Any]:
    found: dict[str, Any] = _dump(end)
    device = next((d for d in inventory.devices if d.id == end.device), None)
    if device is not None:
        found["address"] = str(device.address)
        found["site"] = device.site
    return found


def link_context(inventory: Inventory, link: Link, device: str | None) -> dict[str, Any]:
    """A link with ``near`` (the alert's device's end, else ``a``) and ``far``."""
    found = _dump(link)
    a, b = _end(inventory, link.a), _end(inventory, link.b)
    found["a"], found["b"] = a, b
    near, far = (b, a) if device is not None and link.b.device == device else (a, b)
    found["near"], found["far"] = near, far
    return found


def site_context(inventory: Inventory, site: Any) -> dict[str, Any]:
    """A site with ``devices``: each of its devices' ``id``, ``address``, ``role`` and the
    ``agent`` that polls it (``for_each`` over a camera group or a hotspot's access points)."""
    found = _dump(site)
    members = []
    for device in inventory.devices:
        if device.site != site.id:
            continue
        try:
            agent: str | None = inventory.agent_of(device.id)
        except LookupError:  # no agent polls it: a step for it needs a 'from'
            agent = None
        members.append(
            {"id": device.id, "address": str(device.address), "role": device.role, "agent": agent}
        )
    found["devices"] = members
    return found


def uplink_context(inventory: Inventory, device: str) -> dict[str, Any] | None:
    """The device's uplink: a link between two devices with ``device`` at its ``b`` end
    (inventories list the upstream end as ``a``), else at either end; ``near`` is the device."""
    linked = [k for k in inventory.links if k.a.device is not None and k.b.device is not None]
    found = next((k for k in linked if k.b.device == device), None) or next(
        (k for k in linked if k.a.device == device), None
    )
    return link_context(inventory, found, device) if found is not None else None


def _named(inventory: Inventory, labels: Mapping[str, str]) -> dict[str, Any]:
    devices = {d.id: d for d in inventory.devices}
    device = devices.get(labels.get("device", ""))
    link = next((k for k in inventory.links if k.id == labels.get("link")), None)
    site_id = labels.get("site") or (device.site if device is not None else None)
    site = next((s for s in inventory.sites if s.id == site_id), None)
    service = next((s for s in inventory.services if s.id == labels.get("service")), None)
    return {
        "device": _dump(device) if device is not None else None,
        "link": link_context(inventory, link, labels.get("device")) if link else None,
        "site": site_context(inventory, site) if site is not None else None,
        # A device-down playbook reads the switch the device hangs from (its ARP table).
        "uplink": uplink_context(inventory, device.id) if device is not None else None,
        "service": _dump(service) if service is not None else None,
        "province": inventory.province,
    }


def inputs_of(playbook: Playbook, given: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs: given values checked against their declared type, else the defaults."""
    unknown = sorted(set(given) - set(playbook.inputs))
    if unknown:
        raise TemplateError(f"playbook {playbook.id} has no input {unknown[0]!r}")
    values: dict[str, Any] = {}
    for name, spec in playbook.inputs.items():
        value = given.get(name, spec.default)
        if value is None:
            raise TemplateError(f"input {name!r} of playbook {playbook.id} needs a value")
        if not input_fits(spec.type, value):
            raise TemplateError(f"input {name!r} must be a {spec.type}")
        values[name] = value
    return values


def start_context(
    playbook: Playbook,
    inventory: Inventory,
    *,
    alert: Mapping[str, Any] | None,
    labels: Mapping[str, str],
    incident: Mapping[str, Any] | None,
    inputs: Mapping[str, Any],
) -> dict[str, Any]:
    """Everything a run's templates see at its start (``steps``, ``run``, ``now`` are added
    as it goes)."""
    return {
        "alert": dict(alert) if alert is not None else None,
        "labels": dict(labels),
        "incident": dict(incident) if incident is not None else None,
        **_named(inventory, labels),
        "inputs": inputs_of(playbook, inputs),
    }
