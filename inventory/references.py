"""Rules across objects: references resolve, one agent per device, addresses unique per agent.

A pure pass over a validated (possibly partial) inventory. Unique ids are checked on the data
as written instead (:func:`duplicate_ids`), so that items which failed validation count too.

Findings are located by paths into the inventory's own lists (``("devices", 3, "site")``).
When the loader dropped items that failed validation it passes their ids in
:class:`Unvalidated`, so that references to them are not also reported as missing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from netwarden.inventory.model import Agent, Device, Inventory, Link, Service, Site
from netwarden.inventory.problems import Finding, Loc

_NOUNS = {"agents": "agent", "sites": "site", "devices": "device", "links": "link"}
_NOUNS |= {"services": "service", "credentials": "credential"}


@dataclass(frozen=True, slots=True)
class Unvalidated:
    """Items that exist in the files but failed validation (their own problems are reported)."""

    ids: Mapping[str, frozenset[str]] = field(default_factory=dict)
    agent_sites: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Pass:
    inv: Inventory
    skip: Unvalidated
    found: list[Finding] = field(default_factory=list)
    ids: dict[str, set[str]] = field(default_factory=dict)
    agents_at: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Indexes: a province has thousands of devices, and each looks up several ids.
        for kind in ("agents", "sites", "devices", "links", "services"):
            items: Sequence[Agent | Site | Device | Link | Service] = getattr(self.inv, kind)
            self.ids[kind] = {item.id for item in items}
        self.ids["credentials"] = set(self.inv.credentials)
        for agent in self.inv.agents:
            at_site = self.agents_at.setdefault(agent.site, [])
            if agent.id not in at_site:  # a repeated id is one agent (reported as a duplicate)
                at_site.append(agent.id)

    def known(self, kind: str, ident: str) -> bool:
        return ident in self.ids[kind] or ident in self.skip.ids.get(kind, ())

    def require(self, kind: str, ident: str, loc: Loc) -> bool:
        """Report ``ident`` if no ``kind`` has it; True when it exists and is valid."""
        if ident in self.skip.ids.get(kind, ()):
            return False  # it exists but is invalid, which is reported already
        if ident in self.ids[kind]:
            return True
        self.found.append(Finding(loc, f"unknown {_NOUNS[kind]} '{ident}'"))
        return False

    def credential(self, name: str, want: Literal["snmp", "ssh"], loc: Loc) -> None:
        if self.require("credentials", name, loc):
            have = self.inv.credentials[name].kind
            if have != want:
                message = f"credential '{name}' is an {have} credential, not {want}"
                self.found.append(Finding(loc, message))

    def agent_of(self, index: int, device: Device) -> str | None:
        """The device's agent, reporting why there is none; None when it cannot be known."""
        loc: Loc = ("devices", index, "agent")
        if device.agent is not None:
            return device.agent if self.require("agents", device.agent, loc) else None
        if device.site in self.skip.agent_sites:
            return None  # an agent of this site failed validation: which one polls is unknown
        at_site = self.agents_at.get(device.site, [])
        if len(at_site) == 1:
            return at_site[0]
        if at_site:
            names = ", ".join(at_site)
            message = f"is required: site '{device.site}' has several agents ({names})"
            self.found.append(Finding(loc, message))
        elif self.known("sites", device.site):
            message = f"is required: no agent has site '{device.site}'"
            self.found.append(Finding(loc, message))
        return None

    def devices(self) -> None:
        owners: dict[tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address], int] = {}
        for index, device in enumerate(self.inv.devices):
            self.require("sites", device.site, ("devices", index, "site"))
            if device.snmp is not None:
                self.credential(
                    device.snmp.credential, "snmp", ("devices", index, "snmp", "credential")
                )
            if device.ssh is not None:
                self.credential(
                    device.ssh.credential, "ssh", ("devices", index, "ssh", "credential")
                )
            agent = self.agent_of(index, device)
            if agent is None:
                continue
            key = (agent, ipaddress.ip_address(device.address))
            if key in owners:
                other = self.inv.devices[owners[key]].id
                message = f"{device.address} is already used on agent '{agent}' by device '{other}'"
                related: Loc = ("devices", owners[key], "address")
                self.found.append(Finding(("devices", index, "address"), message, related))
            else:
                owners[key] = index

    def links(self) -> None:
        for index, link in enumerate(self.inv.links):
            for end, endpoint in (("a", link.a), ("b", link.b)):
                if endpoint.device is not None:
                    self.require("devices", endpoint.device, ("links", index, end, "device"))

    def sites_of(self, kind: str, items: Sequence[Agent | Service]) -> None:
        for index, item in enumerate(items):
            self.require("sites", item.site, (kind, index, "site"))
            if isinstance(item, Service) and item.agent is not None:
                self.require("agents", item.agent, (kind, index, "agent"))


def duplicate_ids(ids: Sequence[object]) -> list[tuple[int, int]]:
    """(position, position of the first) for each repeated id; non-text ids are ignored."""
    first: dict[str, int] = {}
    repeats = []
    for index, ident in enumerate(ids):
        if not isinstance(ident, str):
            continue
        if ident in first:
            repeats.append((index, first[ident]))
        else:
            first[ident] = index
    return repeats


def check_references(inv: Inventory, unvalidated: Unvalidated | None = None) -> list[Finding]:
    """The cross-object problems of ``inv``, located by paths into its lists.

    Ids are not checked for uniqueness here: the loader does that with :func:`duplicate_ids`
    on the data as written, so that items which failed validation count too.
    """
    rules = _Pass(inv, unvalidated or Unvalidated())
    rules.sites_of("agents", inv.agents)
    rules.sites_of("services", inv.services)
    rules.devices()
    rules.links()
    return rules.found
