"""What a fault hides, computed from the inventory: the sites cut off by a line of the
dedicated data network, the sites only one agent watches, the sites behind a core router.

Pure functions of an :class:`Inventory`. The network is the graph of devices joined by
inventory links; the devices at ``kind: core`` sites are its root. A site is *behind* a line
(or a device) when some of its devices reach the root with it and none without it. Sites the
root never reached (a hotspot on its own Internet line) are never behind anything by the
graph, but they are when every agent that watches them is behind: their alerts can no more
fire than the agency's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from netwarden.inventory.model import Inventory, Link

DDN = "dedicated-data-network"


@dataclass(frozen=True, slots=True)
class Shadow:
    """A fault and the sites whose alerts it explains."""

    source: str  # a link, agent or device id
    sites: tuple[str, ...]  # sorted
    links: tuple[str, ...] = ()  # for a core device: the lines that end on it


def _graph(inv: Inventory, skip_link: str | None, skip_device: str | None) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {dev.id: set() for dev in inv.devices if dev.id != skip_device}
    for link in inv.links:
        a, b = link.a.device, link.b.device
        if link.id == skip_link or a is None or b is None or skip_device in (a, b):
            continue
        if a in graph and b in graph:
            graph[a].add(b)
            graph[b].add(a)
    return graph


def _reached(graph: dict[str, set[str]], roots: Iterable[str]) -> set[str]:
    seen = {root for root in roots if root in graph}
    todo = list(seen)
    while todo:
        for peer in graph[todo.pop()] - seen:
            seen.add(peer)
            todo.append(peer)
    return seen


class Topology:
    """The inventory read as a network: roots, who watches which site."""

    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        core_sites = {site.id for site in inv.sites if site.kind == "core"}
        self.roots = {dev.id for dev in inv.devices if dev.site in core_sites}
        self.site_of = {dev.id: dev.site for dev in inv.devices}
        self.connected = _reached(_graph(inv, None, None), self.roots)
        self.watchers: dict[str, set[str]] = {}  # site -> agents that poll or check in it
        for agent in inv.agents:
            self.watchers.setdefault(agent.site, set()).add(agent.id)
            for dev in inv.devices_for(agent.id):
                self.watchers.setdefault(dev.site, set()).add(agent.id)
            for service in inv.services_for(agent.id):
                self.watchers.setdefault(service.site, set()).add(agent.id)

    def _cut_off(self, skip_link: str | None = None, skip_device: str | None = None) -> set[str]:
        """The sites that lose the root without ``skip_link`` / ``skip_device``, and those
        only agents at such sites watch."""
        roots = self.roots - {skip_device} if skip_device else self.roots
        still = _reached(_graph(self.inv, skip_link, skip_device), roots)
        lost = {self.site_of[dev] for dev in self.connected - still - {skip_device}}
        blind = {agent.id for agent in self.inv.agents if agent.site in lost}
        lost |= {site for site, agents in self.watchers.items() if agents and agents <= blind}
        return lost

    def behind_lines(self) -> list[Shadow]:
        """Per line of the dedicated data network, the sites it cuts off (none listed when
        the sites behind it have another way to the core)."""
        shadows = (
            Shadow(link.id, tuple(sorted(self._cut_off(skip_link=link.id))))
            for link in self.inv.links
            if link.kind == DDN
        )
        return [shadow for shadow in shadows if shadow.sites]

    def watched_only_by(self) -> list[Shadow]:
        """Per agent, the sites no other agent watches (an agent with none still gets a
        Shadow: its own alerts are hidden by the agent down all the same)."""
        return [
            Shadow(
                agent.id, tuple(sorted(s for s, who in self.watchers.items() if who == {agent.id}))
            )
            for agent in self.inv.agents
        ]

    def core_devices(self) -> list[Shadow]:
        """Per device at a core site that ends lines, those lines and the sites behind it."""
        found = []
        for dev in self.inv.devices:
            if dev.id not in self.roots:
                continue
            lines = tuple(sorted(link.id for link in self.inv.links if _ends_on(link, dev.id)))
            if lines:
                found.append(
                    Shadow(dev.id, tuple(sorted(self._cut_off(skip_device=dev.id))), lines)
                )
        return found


def _ends_on(link: Link, device: str) -> bool:
    return link.kind == DDN and device in (link.a.device, link.b.device)
