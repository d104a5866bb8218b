"""What an incident affects, derived from the inventory's topology.

Alertmanager inhibits and silences the alerts of everything behind a failed link, so the
record cannot learn what is affected from the alerts that arrive. The topology says it: sites
are joined by links between their devices, and the province's roots are its core and data
centre sites. A link or device whose loss cuts sites off from every root has those sites
"behind" it.

- ``link/L``: the sites behind L (else the non-root sites at its ends, else its ends' sites),
  with their devices, services and links.
- ``device/D``: D, its site, the services hosted on it (their check's host is D's address) and
  the links on it; plus any sites behind D, with their devices, services and links.
- ``group/S`` (camera group, hotspot): S with its devices, services and links.
- ``service/X``: X, its site and the device hosting it.
- ``agent/A``: A's site and what A polls and checks (unmonitored, not interrupted).
- ``site/S/<alertname>``: S, plus the device, link or service its alerts name in labels.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from netwarden.collector.incidents.affected import Affected, Thing
from netwarden.collector.incidents.keys import Subject
from netwarden.inventory.model import Device, Inventory, Link, Service

ROOT_KINDS = ("core", "datacentre")
_Edge = tuple[str, str | None]  # (neighbour node, link id or None for device-site)


@dataclass(frozen=True, slots=True)
class Scope:
    """The subject's own sites, devices and links: what a maintenance window must cover."""

    sites: frozenset[str]
    devices: frozenset[str]
    links: frozenset[str]


def _host(service: Service) -> str | None:
    check = service.check
    if check.http is not None:
        return urlsplit(check.http.url).hostname
    if check.tcp is not None:
        return check.tcp.host
    return check.icmp.host if check.icmp is not None else None


class Topology:
    """Lookups and reachability over one inventory version (build once, query often)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.sites = {s.id: s for s in inventory.sites}
        self.devices = {d.id: d for d in inventory.devices}
        self.links = {x.id: x for x in inventory.links}
        self.services = {s.id: s for s in inventory.services}
        self.agents = {a.id: a for a in inventory.agents}
        self.roots = {s.id for s in inventory.sites if s.kind in ROOT_KINDS}
        self._devices_at: dict[str, list[str]] = {}
        self._services_at: dict[str, list[str]] = {}
        self._links_on: dict[str, list[str]] = {}
        self._services_on: dict[str, list[str]] = {}
        self._adj: dict[str, list[_Edge]] = {}
        self._index(inventory)
        self._reachable = self._reach()
        self._cache: dict[Subject, Affected] = {}
        self._lock = threading.Lock()

    def _index(self, inv: Inventory) -> None:
        by_address = {d.address: d.id for d in inv.devices}
        for d in inv.devices:
            self._devices_at.setdefault(d.site, []).append(d.id)
            self._connect(f"d:{d.id}", f"s:{d.site}", None)
        for s in inv.services:
            self._services_at.setdefault(s.site, []).append(s.id)
            host = by_address.get(_host(s) or "")
            if host is not None:
                self._services_on.setdefault(host, []).append(s.id)
        for x in inv.links:
            for end in (x.a, x.b):
                if end.device is not None:
                    self._links_on.setdefault(end.device, []).append(x.id)
            if x.a.device is not None and x.b.device is not None:
                self._connect(f"d:{x.a.device}", f"d:{x.b.device}", x.id)

    def _connect(self, a: str, b: str, link: str | None) -> None:
        self._adj.setdefault(a, []).append((b, link))
        self._adj.setdefault(b, []).append((a, link))

    def _reach(self, *, link: str | None = None, device: str | None = None) -> set[str]:
        """Sites reachable from a root without ``link`` / ``device`` (bounded by the graph)."""
        skip = f"d:{device}" if device else None
        seen = {f"s:{r}" for r in self.roots}
        todo = deque(seen)
        while todo:
            node = todo.popleft()
            for nxt, via in self._adj.get(node, ()):
                if nxt in seen or nxt == skip or (link is not None and via == link):
                    continue
                seen.add(nxt)
                todo.append(nxt)
        return {n[2:] for n in seen if n.startswith("s:")}

    # --- things, with their security levels ---------------------------------------------
    def site_level(self, site_id: str) -> int | None:
        site = self.sites.get(site_id)
        return site.security_level if site is not None else None

    def site_thing(self, site_id: str) -> Thing | None:
        s = self.sites.get(site_id)
        if s is None:
            return None
        return Thing(s.id, s.name, s.kind, (s.id,), s.security_level)

    def device_thing(self, d: Device) -> Thing:
        return Thing(d.id, None, d.role, (d.site,), self.site_level(d.site))

    def link_thing(self, x: Link) -> Thing:
        ends = [self.devices[e.device].site for e in (x.a, x.b) if e.device in self.devices]
        sites = tuple(dict.fromkeys(ends))
        levels = [lvl for lvl in (self.site_level(s) for s in sites) if lvl is not None]
        return Thing(x.id, None, x.kind, sites, max(levels) if levels else None)

    def service_thing(self, s: Service) -> Thing:
        level = s.security_level if s.security_level is not None else self.site_level(s.site)
        return Thing(s.id, s.name, "", (s.site,), level)

    def site_of_device(self, device_id: str) -> str | None:
        """The site of a device id (None when the inventory has no such device)."""
        d = self.devices.get(device_id)
        return d.site if d is not None else None

    # --- affected -----------------------------------------------------------------------
    def _whole_sites(self, site_ids: Iterable[str]) -> Affected:
        """Sites with everything at them: devices, services, links with an end there."""
        ids = sorted(set(site_ids))
        devices = [self.devices[d] for s in ids for d in self._devices_at.get(s, [])]
        links = {x for d in devices for x in self._links_on.get(d.id, [])}
        services = [self.services[x] for s in ids for x in self._services_at.get(s, [])]
        return Affected(
            sites=tuple(t for t in (self.site_thing(s) for s in ids) if t is not None),
            devices=tuple(self.device_thing(d) for d in devices),
            links=tuple(self.link_thing(self.links[x]) for x in sorted(links)),
            services=tuple(self.service_thing(s) for s in services),
            interrupting=True,
            primary_site=ids[0] if ids else None,
        )

    def _link(self, link_id: str) -> Affected:
        x = self.links.get(link_id)
        if x is None:
            return Affected(interrupting=True)
        behind = self._reachable - self._reach(link=link_id)
        ends = self.link_thing(x).sites
        sites = behind or {s for s in ends if s not in self.roots} or set(ends)
        whole = self._whole_sites(sites)
        # The site at the link's own far end names the incident best, not a site beyond it.
        near = [s for s in ends if s in sites and s not in self.roots]
        primary = near[0] if near else whole.primary_site
        return replace(
            whole,
            links=tuple(sorted({*whole.links, self.link_thing(x)}, key=lambda t: t.id)),
            primary_site=primary,
        )

    def _device(self, device_id: str) -> Affected:
        d = self.devices.get(device_id)
        if d is None:
            return Affected(interrupting=True)
        own_site = self.site_thing(d.site)
        own = Affected(
            sites=(own_site,) if own_site else (),
            devices=(self.device_thing(d),),
            links=tuple(self.link_thing(self.links[x]) for x in self._links_on.get(d.id, [])),
            services=tuple(
                self.service_thing(self.services[s]) for s in self._services_on.get(d.id, [])
            ),
            interrupting=True,
            primary_site=d.site,
        )
        behind = self._reachable - self._reach(device=device_id) - {d.site}
        return own.merged(self._whole_sites(behind)) if behind else own

    def _service(self, service_id: str) -> Affected:
        s = self.services.get(service_id)
        if s is None:
            return Affected(interrupting=True)
        site = self.site_thing(s.site)
        hosts = [d for d, on in self._services_on.items() if service_id in on]
        return Affected(
            sites=(site,) if site else (),
            devices=tuple(self.device_thing(self.devices[d]) for d in sorted(hosts)),
            services=(self.service_thing(s),),
            interrupting=True,
            primary_site=s.site,
        )

    def _agent(self, agent_id: str) -> Affected:
        a = self.agents.get(agent_id)
        if a is None:
            return Affected()
        site = self.site_thing(a.site)
        return Affected(
            sites=(site,) if site else (),
            devices=tuple(self.device_thing(d) for d in self.inventory.devices_for(agent_id)),
            services=tuple(self.service_thing(s) for s in self.inventory.services_for(agent_id)),
            interrupting=False,
            primary_site=a.site,
        )

    def _site(self, site_id: str) -> Affected:
        site = self.site_thing(site_id)
        return Affected(sites=(site,) if site else (), primary_site=site_id if site else None)

    def _group(self, site_id: str) -> Affected:
        return self._whole_sites([site_id] if site_id in self.sites else [])

    def _compute(self, subject: Subject) -> Affected:
        by_kind = {
            "link": self._link,
            "device": self._device,
            "group": self._group,
            "service": self._service,
            "agent": self._agent,
            "site": self._site,
        }
        derive = by_kind.get(subject.kind)
        return derive(subject.ident) if derive is not None else Affected()

    def affected(self, subject: Subject, labels: dict[str, str]) -> Affected:
        """What an alert with these labels under this subject affects (cached per subject)."""
        with self._lock:
            base = self._cache.get(subject)
        if base is None:
            base = self._compute(subject)
            with self._lock:
                self._cache[subject] = base
        if subject.kind != "site":
            return base
        return base.merged(self._named(labels))

    def _named(self, labels: dict[str, str]) -> Affected:
        """The device, link and service an alert's own labels name (fallback keys only)."""
        d = self.devices.get(labels.get("device", ""))
        x = self.links.get(labels.get("link", ""))
        s = self.services.get(labels.get("service", ""))
        return Affected(
            devices=(self.device_thing(d),) if d else (),
            links=(self.link_thing(x),) if x else (),
            services=(self.service_thing(s),) if s else (),
        )

    def scope(self, subject: Subject, labels: dict[str, str]) -> Scope:
        """The subject's own sites, devices and links (maintenance windows cover these)."""
        sites: set[str] = set()
        devices: set[str] = set()
        links: set[str] = set()
        if labels.get("device") in self.devices:
            devices.add(labels["device"])
        if labels.get("link") in self.links:
            links.add(labels["link"])
        x = self.links.get(subject.ident) if subject.kind == "link" else None
        if x is not None:
            links.add(x.id)
            devices.update(e.device for e in (x.a, x.b) if e.device is not None)
        if subject.kind == "device":
            devices.add(subject.ident)
        if subject.kind in ("group", "site"):
            sites.add(subject.ident)
        if subject.kind == "service" and subject.ident in self.services:
            sites.add(self.services[subject.ident].site)
            devices.update(d for d, on in self._services_on.items() if subject.ident in on)
        if subject.kind == "agent" and subject.ident in self.agents:
            sites.add(self.agents[subject.ident].site)
        sites.update(s for s in (self.site_of_device(d) for d in devices) if s is not None)
        return Scope(frozenset(sites), frozenset(devices), frozenset(links))


class TopologyCache:
    """One ``Topology`` per inventory version: rebuilt when the collector reloads its inventory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._for: Inventory | None = None
        self._topology: Topology | None = None

    def get(self, inventory: Inventory) -> Topology:
        """The topology of ``inventory`` (built on first use, in the caller's thread)."""
        with self._lock:
            if self._for is inventory and self._topology is not None:
                return self._topology
        topology = Topology(inventory)
        with self._lock:
            self._for, self._topology = inventory, topology
        return topology
