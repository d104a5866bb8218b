"""Proposed inventory devices from discovered hosts, and the YAML fragment that adds them.

Ids come from sysName, slugified to the inventory's id rule, else ``<site>-<a>-<b>-<c>-<d>``
from the address; an id already taken gets ``-2``, ``-3`` ... Devices are ordered by address.
A host already in the inventory (same site, same address) is matched, never re-added: the
fragment lists it as a comment only.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from netwarden.discovery.facts import HostFacts
from netwarden.discovery.roles import RoleGuess, guess_role
from netwarden.inventory.model import Device, Inventory, Link, SnmpAccess

MAX_ID = 63
MARKER = "# netwarden inventory discover:"
"""The first line of every fragment; ``--write`` overwrites only files that start with it."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """One discovered host as an inventory device, how its role was guessed, and the
    inventory device at the same address of the site, if any."""

    host: HostFacts
    device: Device
    guess: RoleGuess
    named: bool  # the id comes from sysName (so a different inventory id is a change)
    known: Device | None

    @property
    def effective_id(self) -> str:
        """The id the device has once the fragment is merged: the inventory's if known."""
        return self.known.id if self.known is not None else self.device.id


def slug_id(text: str) -> str | None:
    """``text`` (a sysName) as an id: lower case, Vietnamese letters without marks, anything
    else a dash, starting with a letter, at most 63 characters; None if nothing is left."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    slug = re.sub(r"[^a-z0-9._-]+", "-", plain)
    slug = re.sub(r"-{2,}", "-", slug).lstrip("0123456789._-").rstrip("._-")
    return slug[:MAX_ID].rstrip("._-") or None


def address_id(site: str, address: str) -> str:
    """``<site>-<a>-<b>-<c>-<d>`` (the site part shortened if the whole is too long)."""
    tail = "-" + address.replace(".", "-").replace(":", "-")
    return site[: MAX_ID - len(tail)].rstrip("._-") + tail


def unique(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3`` ... (within 63 characters) if taken; the
    result is added to ``taken``."""
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = wanted[: MAX_ID - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def _sort_key(host: HostFacts) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(host.address)


def propose(
    inventory: Inventory, site: str, hosts: Iterable[HostFacts], *, agent: str | None = None
) -> list[Proposal]:
    """A proposal per host, ordered by address; ``agent`` is written on new devices when the
    site has several agents (else the site's one agent polls them)."""
    at_site = {dev.address: dev for dev in inventory.devices if dev.site == site}
    taken = {dev.id for dev in inventory.devices}
    proposals = []
    for host in sorted(hosts, key=_sort_key):
        known = at_site.get(host.address)
        from_name = slug_id(host.snmp.sys_name) if host.snmp is not None else None
        wanted = from_name or address_id(site, host.address)
        # A known device may keep its own id; any other clash gets a suffix.
        ident = wanted if known is not None and wanted == known.id else unique(wanted, taken)
        guess = guess_role(host.snmp, host.open_ports)
        snmp = SnmpAccess(credential=host.snmp.credential) if host.snmp is not None else None
        device = Device(
            id=ident, site=site, agent=agent, address=host.address, role=guess.role, snmp=snmp
        )
        proposals.append(Proposal(host, device, guess, from_name is not None, known))
    return proposals


def device_data(device: Device) -> dict[str, object]:
    """The device as it is written in an inventory file (defaults left out)."""
    return device.model_dump(mode="json", exclude_defaults=True)


def link_data(link: Link) -> dict[str, object]:
    return link.model_dump(mode="json", exclude_defaults=True, exclude_none=True)


def _block(data: object, indent: str = "  ") -> list[str]:
    text = yaml.safe_dump([data], sort_keys=False, allow_unicode=True, default_flow_style=False)
    return [indent + line for line in text.splitlines()]


def _comment(text: str, indent: str = "  ") -> str:
    return indent + "# " + " ".join(text.split())  # one line: a sysDescr may hold newlines


def _why(proposal: Proposal) -> str:
    seen = " and ".join(kind.upper() for kind in proposal.host.seen_by)
    notes = "; ".join(proposal.host.notes)
    mac = f", MAC {proposal.host.mac}" if proposal.host.mac else ""
    text = f"{proposal.device.address} (answered {seen}{mac}): role {proposal.device.role}"
    text += f" — {proposal.guess.why}"
    return text + (f" [{notes}]" if notes else "")


def render(proposals: Sequence[Proposal], links: Sequence[Link], *, site: str, cidr: str) -> str:
    """The fragment as YAML: new devices (each with its heuristic as a comment), devices
    already in the inventory as comments, and the proposed links."""
    lines = [
        f"{MARKER} site {site}, {cidr}",
        "# Review each role: the comment above a device says how it was guessed.",
        "# Devices already in the inventory appear as comments only; nothing here changes them.",
    ]
    new = [p for p in proposals if p.known is None]
    lines.append("devices:" if new else "devices: []")
    for proposal in proposals:
        if proposal.known is not None:
            lines.append(
                _comment(f"already in the inventory as {proposal.known.id}: " + _why(proposal))
            )
            continue
        lines.append(_comment(_why(proposal)))
        lines += _block(device_data(proposal.device))
    lines.append("links:" if links else "links: []")
    for link in links:
        lines += _block(link_data(link))
    return "\n".join(lines) + "\n"
