"""What the availability report measures: each dedicated-data-network link at its core end,
and each agency through its links and the reachability of its core switch from the core side.

From the inventory when one is given; otherwise the links alone, from ``netwarden_link_info``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from netwarden.inventory.model import Inventory, Link

DDN = "dedicated-data-network"


@dataclass(frozen=True)
class LinkPlan:
    """One link, measured by ``ifOperStatus`` of its core end(s)."""

    id: str
    core_devices: tuple[str, ...]  # usually one; both ends of a link between two core routers
    agency: str = ""  # the agency site at the far end, if any
    far_devices: tuple[str, ...] = ()  # the polled device(s) at the other end
    core_ifnames: tuple[str, ...] = ()  # the core ends' ifName (they narrow the query)


@dataclass(frozen=True)
class AgencyPlan:
    """One agency: up while one of its links is up and (when a probe exists) its core switch
    answers ICMP from an agent on the core side."""

    site: str
    name: str
    links: tuple[str, ...]
    reach_services: tuple[str, ...] = ()  # icmp checks at the agency run by a core agent
    reach_devices: tuple[str, ...] = ()  # its switches when a core agent polls them


@dataclass(frozen=True)
class Plan:
    links: tuple[LinkPlan, ...]
    agencies: tuple[AgencyPlan, ...] = ()
    notes: tuple[str, ...] = field(default=())
    device_sites: Mapping[str, str] = field(default_factory=dict)  # link-end devices' sites

    @property
    def core_devices(self) -> tuple[str, ...]:
        return tuple(sorted({d for link in self.links for d in link.core_devices}))

    @property
    def core_ifnames(self) -> tuple[str, ...]:
        """The core ends' ifNames, empty when one is unknown (then every interface counts)."""
        if not self.links or not all(link.core_ifnames for link in self.links):
            return ()
        return tuple(sorted({i for link in self.links for i in link.core_ifnames}))


def from_inventory(inventory: Inventory) -> Plan:
    core_sites = {s.id for s in inventory.sites if s.kind == "core"}
    agencies = {s.id for s in inventory.sites if s.kind == "agency"}
    site_of = {d.id: d.site for d in inventory.devices}
    links: list[LinkPlan] = []
    notes: list[str] = []
    for link in inventory.links:
        if link.kind != DDN:
            continue
        core = tuple(d for d in _devices(link) if site_of.get(d) in core_sites)
        ifnames = tuple(
            str(end.interface)
            for end in (link.a, link.b)
            if end.device in core and end.interface is not None
        )
        if not core:
            notes.append(f"link {link.id}: no end on a core device, not measured")
            continue
        far = tuple(d for d in _devices(link) if d not in core)
        agency = [site_of[d] for d in far if site_of.get(d) in agencies]
        links.append(LinkPlan(link.id, core, agency[0] if agency else "", far, ifnames))
    plan_agencies = [
        _agency(inventory, site, [lp for lp in links if lp.agency == site], core_sites)
        for site in sorted({lp.agency for lp in links if lp.agency})
    ]
    ends = {d: site_of[d] for lp in links for d in (*lp.core_devices, *lp.far_devices)}
    return Plan(tuple(links), tuple(plan_agencies), tuple(notes), ends)


def _devices(link: Link) -> list[str]:
    return [end.device for end in (link.a, link.b) if end.device is not None]


def _agency(
    inventory: Inventory, site: str, links: list[LinkPlan], core_sites: set[str]
) -> AgencyPlan:
    core_agents = {a.id for a in inventory.agents if a.site in core_sites}
    ids = {lp.id for lp in links}
    switches = [
        d
        for link in inventory.links
        if link.id in ids
        for d in _devices(link)
        if inventory.device(d).site == site
    ]
    services = tuple(
        s.id
        for s in inventory.services
        if s.site == site
        and s.check.icmp is not None
        and inventory.agent_of_service(s) in core_agents
    )
    devices = tuple(d for d in switches if inventory.agent_of(d) in core_agents)
    name = inventory.site(site).name or site
    return AgencyPlan(site, name, tuple(sorted(ids)), services, devices)


def from_link_ends(ends: Iterable[Mapping[str, str]]) -> Plan:
    """Without an inventory: the links of ``netwarden_link_info{kind="dedicated-data-network"}``
    (its series' ``link``, ``device`` and ``ifName``). The core end of a link is the end on the
    device with the most such links: the hub of a hub-and-spoke network. Agencies need the
    inventory."""
    by_link: dict[str, set[str]] = {}
    ifnames: dict[tuple[str, str], str] = {}
    for end in ends:
        by_link.setdefault(end["link"], set()).add(end["device"])
        ifnames[(end["link"], end["device"])] = end.get("ifName", "")
    degree = Counter(d for devices in by_link.values() for d in devices)
    links = []
    for link_id, devices in sorted(by_link.items()):
        top = max(degree[d] for d in devices)
        core = tuple(sorted(d for d in devices if degree[d] == top))
        far = tuple(sorted(devices - set(core)))
        names = tuple(ifnames[(link_id, d)] for d in core)
        links.append(LinkPlan(link_id, core, "", far, names if all(names) else ()))
    note = "no inventory (-i): links only, core ends taken as the devices with the most links"
    return Plan(tuple(links), (), (note,))
