"""Discovery from start to end: sweep (ICMP and ARP at once), examine each host that answered
(SNMP, else a few TCP ports), then propose devices and links and diff them.

Every network seam is in :class:`Probes`, so unit tests run the whole flow with fakes. One
host's failure is a note on that host; only a sweep that cannot run at all raises.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from netwarden.discovery import sweep as icmp_sweep
from netwarden.discovery.arp import ArpResult
from netwarden.discovery.diff import DiffEntry, compare
from netwarden.discovery.facts import HostFacts
from netwarden.discovery.fragment import Proposal, propose, render
from netwarden.discovery.links import propose_links
from netwarden.discovery.ports import TcpProbe, open_ports
from netwarden.discovery.snmp_facts import NamedCredentials, SessionFactory, snmp_facts
from netwarden.errors import UsageError
from netwarden.inventory.model import Inventory, Link

Progress = Callable[[str, int, int], None]
"""``(phase, done, total)``; phases: ``ping``, ``arp``, ``examine``."""


class ArpSweeper(Protocol):
    async def sweep(self, network: ipaddress.IPv4Network, *, timeout: float) -> ArpResult: ...  # noqa: ASYNC109


@dataclass
class Probes:
    """The network seams: real ones in the CLI, fakes in unit tests."""

    pinger: icmp_sweep.Pinger
    snmp: SessionFactory
    tcp: TcpProbe
    arp: ArpSweeper | None  # None: --no-arp


@dataclass(frozen=True)
class Settings:
    site: str
    network: ipaddress.IPv4Network
    credentials: tuple[NamedCredentials, ...] = ()
    timeout: float = 1.0  # per ICMP packet, SNMP request, TCP connect and the ARP wait
    packets: int = 2
    concurrency: int = 64  # hosts examined (SNMP, TCP) at once
    local: frozenset[str] = frozenset()  # this machine's own addresses: never proposed


@dataclass
class Discovery:
    hosts: list[HostFacts]
    proposals: list[Proposal]
    links: list[Link]
    diff: list[DiffEntry]
    fragment: str
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def agent_for_new_devices(inventory: Inventory, site: str) -> tuple[str | None, list[str]]:
    """The ``agent`` to write on new devices (None: the site's one agent) and notes.
    :class:`UsageError` when the site is unknown or has no agent to poll them."""
    try:
        inventory.site(site)
    except KeyError:
        raise UsageError(f"--site {site}: no such site in the inventory") from None
    agents = [agent.id for agent in inventory.agents_at(site)]
    if not agents:
        raise UsageError(f"--site {site}: no agent has this site; add one before discovering")
    if len(agents) == 1:
        return None, []
    note = f"site {site} has several agents ({', '.join(agents)}): new devices use {agents[0]}"
    return agents[0], [note]


def _noop(phase: str, done: int, total: int) -> None:
    pass


async def _sweep(
    settings: Settings, probes: Probes, progress: Progress
) -> tuple[list[str], ArpResult | None]:
    def pinged(done: int, total: int) -> None:
        progress("ping", done, total)

    async def arp() -> ArpResult | None:
        if probes.arp is None:
            return None
        progress("arp", 0, 1)
        result = await probes.arp.sweep(settings.network, timeout=settings.timeout)
        progress("arp", 1, 1)
        return result

    return await asyncio.gather(
        icmp_sweep.sweep(
            probes.pinger,
            settings.network,
            packets=settings.packets,
            timeout=settings.timeout,
            progress=pinged,
        ),
        arp(),
    )


def _hosts(icmp: list[str], arp: ArpResult | None, local: frozenset[str]) -> list[HostFacts]:
    found = arp.found if arp is not None else {}
    hosts = []
    for address in sorted(set(icmp) | set(found), key=ipaddress.ip_address):
        if address in local:
            continue
        seen = tuple(
            kind for kind, hit in (("icmp", address in icmp), ("arp", address in found)) if hit
        )
        hosts.append(HostFacts(address, seen, mac=found.get(address)))
    return hosts


async def _examine(
    hosts: list[HostFacts], settings: Settings, probes: Probes, progress: Progress
) -> None:
    gate = asyncio.Semaphore(max(1, settings.concurrency))
    done = 0

    async def one(host: HostFacts) -> None:
        nonlocal done
        async with gate:
            host.snmp = await snmp_facts(
                host.address,
                settings.credentials,
                probes.snmp,
                timeout=settings.timeout,
                notes=host.notes,
            )
            if host.snmp is None:
                host.open_ports = await open_ports(
                    probes.tcp, host.address, deadline=settings.timeout
                )
        done += 1
        progress("examine", done, len(hosts))

    progress("examine", 0, len(hosts))
    await asyncio.gather(*(one(host) for host in hosts))


async def discover(
    inventory: Inventory, settings: Settings, probes: Probes, progress: Progress | None = None
) -> Discovery:
    """Discover ``settings.network`` for ``settings.site``; raises :class:`UsageError` for a
    bad site and :class:`~.sweep.SweepError` when the sweep cannot run."""
    began = time.monotonic()
    report = progress or _noop
    agent, notes = agent_for_new_devices(inventory, settings.site)
    icmp, arp = await _sweep(settings, probes, report)
    if arp is not None and arp.note:
        notes.append(arp.note)
    mine = sorted(settings.local & (set(icmp) | set(arp.found if arp else ())))
    if mine:
        notes.append(f"not proposed: {', '.join(mine)} (this machine's own addresses)")
    hosts = _hosts(icmp, arp, settings.local)
    await _examine(hosts, settings, probes, report)
    proposals = propose(inventory, settings.site, hosts, agent=agent)
    links, link_notes = propose_links(proposals, inventory)
    tried = [named.name for named in settings.credentials]
    diff = compare(inventory, settings.site, settings.network, proposals, tried)
    fragment = render(proposals, links, site=settings.site, cidr=str(settings.network))
    return Discovery(
        hosts, proposals, links, diff, fragment, notes + link_notes, time.monotonic() - began
    )
