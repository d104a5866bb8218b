"""The difference between what answered and what the inventory says, matched on address.

``+`` a new device; ``~`` a known device with a different role, sysName-derived id or SNMP
access; ``=`` known and the same; ``-`` an inventory device of the site inside the CIDR that
did not answer (reported only: discovery never removes anything).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from netwarden.discovery.fragment import Proposal
from netwarden.inventory.model import Device, Inventory

Op = Literal["+", "~", "=", "-"]


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    inventory: str
    discovered: str


@dataclass(frozen=True, slots=True)
class DiffEntry:
    """One address: ``id`` is the inventory's for known devices, the proposed one for new."""

    op: Op
    address: str
    id: str
    role: str
    changes: tuple[Change, ...] = ()
    why: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _snmp_changes(known: Device, proposal: Proposal, tried: Sequence[str]) -> list[Change]:
    found = proposal.device.snmp.credential if proposal.device.snmp is not None else None
    have = known.snmp.credential if known.snmp is not None else None
    if have is None:
        return [Change("snmp", "none", f"credential {found} answered")] if found else []
    if have not in tried:
        return []  # its credential was not tried: nothing is known about it
    if found is None:
        return [Change("snmp", f"credential {have}", "no answer")]
    # Credentials are tried in order and the first that answers wins: the inventory's failed
    # only if it came first.
    if found != have and tried.index(have) < tried.index(found):
        return [Change("snmp.credential", have, f"{found} ({have} did not answer)")]
    return []


def changes(known: Device, proposal: Proposal, tried: Sequence[str]) -> list[Change]:
    """What differs between the inventory device and the proposal for the same address."""
    found: list[Change] = []
    if proposal.named and proposal.device.id != known.id:
        found.append(Change("id", known.id, f"{proposal.device.id} (from sysName)"))
    if proposal.device.role != known.role:
        found.append(Change("role", known.role, proposal.device.role))
    return found + _snmp_changes(known, proposal, tried)


def _in(network: ipaddress.IPv4Network, address: str) -> bool:
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:
        return False


def compare(
    inventory: Inventory,
    site: str,
    network: ipaddress.IPv4Network,
    proposals: Sequence[Proposal],
    tried: Sequence[str],
) -> list[DiffEntry]:
    """The diff of ``proposals`` against the inventory's devices of ``site`` in ``network``,
    ordered by address; ``tried`` are the SNMP credential names in the order tried."""
    entries = []
    for p in proposals:
        if p.known is None:
            entries.append(
                DiffEntry("+", p.device.address, p.device.id, p.device.role, why=p.guess.why)
            )
            continue
        found = tuple(changes(p.known, p, tried))
        op: Op = "~" if found else "="
        entries.append(
            DiffEntry(op, p.device.address, p.known.id, p.known.role, found, p.guess.why)
        )
    answered = {p.device.address for p in proposals}
    for dev in inventory.devices:
        if dev.site == site and _in(network, dev.address) and dev.address not in answered:
            entries.append(
                DiffEntry(
                    "-", dev.address, dev.id, dev.role, why="did not answer (kept in the inventory)"
                )
            )
    return sorted(entries, key=lambda e: ipaddress.ip_address(e.address))


def render_diff(entries: Sequence[DiffEntry]) -> list[str]:
    """One line per entry: ``op address id role`` and the changes or the reason."""
    if not entries:
        return ["(nothing answered and the inventory has nothing there)"]
    width_a = max(len(e.address) for e in entries)
    width_i = max(len(e.id) for e in entries)
    lines = []
    for e in entries:
        detail = "; ".join(f"{c.field}: {c.inventory} -> {c.discovered}" for c in e.changes)
        if e.op == "-":
            detail = e.why
        elif e.op == "+":
            detail = "new"
        lines.append(f"{e.op} {e.address:<{width_a}}  {e.id:<{width_i}}  {e.role:<11}  {detail}")
    return [line.rstrip() for line in lines]
