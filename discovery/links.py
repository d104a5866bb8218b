"""Links proposed from LLDP: between two devices that are both known after the merge.

A neighbour's system name is matched to a discovered device's sysName (also without its
domain: LLDP often sends the FQDN), else to an inventory device id. Both ends of a link see
each other, so a link is proposed once; a link the inventory already has (same two
device/interface ends, in either order) is not proposed again.
"""

from __future__ import annotations

from collections.abc import Sequence

from netwarden.discovery.fragment import Proposal, slug_id, unique
from netwarden.inventory.model import Endpoint, Inventory, Link

End = tuple[str, str]  # (device id, interface)


def _names(proposals: Sequence[Proposal], inventory: Inventory) -> dict[str, str]:
    """Every name a neighbour may be called by -> the device id it has after the merge."""
    names = {dev.id.lower(): dev.id for dev in inventory.devices}
    for p in proposals:
        names.setdefault(p.effective_id.lower(), p.effective_id)
        if p.host.snmp is not None and p.host.snmp.sys_name:
            names[p.host.snmp.sys_name.lower()] = p.effective_id
    return names


def _lookup(names: dict[str, str], remote: str) -> str | None:
    for candidate in (remote, remote.split(".", 1)[0]):
        key = candidate.lower()
        if key in names:
            return names[key]
        slug = slug_id(candidate)
        if slug is not None and slug in names:
            return names[slug]
    return None


def _existing(inventory: Inventory) -> set[frozenset[End]]:
    pairs = set()
    for link in inventory.links:
        a, b = link.a, link.b
        if a.device and a.interface and b.device and b.interface:
            pairs.add(frozenset({(a.device, a.interface), (b.device, b.interface)}))
    return pairs


def propose_links(
    proposals: Sequence[Proposal], inventory: Inventory
) -> tuple[list[Link], list[str]]:
    """The new ``lan-uplink`` links LLDP shows, and notes on neighbours that are not known."""
    names = _names(proposals, inventory)
    seen = _existing(inventory)
    taken = {link.id for link in inventory.links}
    links: list[Link] = []
    notes: list[str] = []
    for p in proposals:
        neighbours = p.host.snmp.neighbours if p.host.snmp is not None else ()
        for n in neighbours:
            remote = _lookup(names, n.remote_name)
            if remote is None:
                notes.append(
                    f"LLDP: {p.effective_id} {n.local_port} sees '{n.remote_name}' "
                    f"{n.remote_port}, neither discovered nor in the inventory"
                )
                continue
            ends = frozenset({(p.effective_id, n.local_port), (remote, n.remote_port)})
            if ends in seen or remote == p.effective_id:
                continue
            seen.add(ends)
            (a_dev, a_if), (b_dev, b_if) = sorted(ends)
            wanted = slug_id(f"lldp-{a_dev}-{b_dev}") or "lldp-link"
            links.append(
                Link(
                    id=unique(wanted, taken),
                    kind="lan-uplink",
                    a=Endpoint(device=a_dev, interface=a_if),
                    b=Endpoint(device=b_dev, interface=b_if),
                )
            )
    return links, notes
