"""What the inventory says about the system an incident hit: names, level, owner, operator,
domains, Internet-facing addresses, ... for the forms' "hệ thống thông tin bị sự cố".

The system is the affected services when the incident has any, else the affected sites. A
service without a fact takes its site's. Addresses are those of the affected services' checks
and devices, minus every address inside ``internal_networks``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from netwarden.collector.incidents.affected import Affected
from netwarden.inventory.model import Inventory, Service, Site
from netwarden.reports.national.redact import Network, is_internal

_SINGLE = ("owner", "operator", "os", "purpose", "network_provider", "security_provider")


@dataclass(frozen=True, slots=True)
class SystemFacts:
    """Distinct values, in inventory order; empty means the inventory does not say."""

    names: tuple[str, ...]
    level: int | None
    owner: tuple[str, ...]
    operator: tuple[str, ...]
    os: tuple[str, ...]
    purpose: tuple[str, ...]
    network_provider: tuple[str, ...]
    security_provider: tuple[str, ...]
    domains: tuple[str, ...]
    addresses: tuple[str, ...]
    services: tuple[str, ...]
    security_measures: tuple[str, ...]


def _distinct(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _check_host(service: Service) -> str | None:
    check = service.check
    if check.http is not None:
        return urlsplit(check.http.url).hostname
    if check.tcp is not None:
        return check.tcp.host
    return check.icmp.host if check.icmp is not None else None


def _public(hosts: Iterable[str | None], internal: Sequence[Network]) -> tuple[str, ...]:
    found = []
    for host in hosts:
        try:
            ipaddress.ip_address(host or "")
        except ValueError:
            continue  # a host name: reports list the declared domains instead
        if host and not is_internal(host, internal):
            found.append(host)
    return _distinct(found)


def system_facts(
    affected: Affected, inventory: Inventory, internal: Sequence[Network]
) -> SystemFacts:
    """The facts of the system ``affected`` describes, from the current inventory."""
    services = [s for s in inventory.services if s.id in {t.id for t in affected.services}]
    site_ids = {t.id for t in affected.sites} | {s.site for s in services}
    sites = {s.id: s for s in inventory.sites if s.id in site_ids}
    things: Sequence[Service | Site] = services or [
        sites[t.id] for t in affected.sites if t.id in sites
    ]

    def own_or_site(name: str) -> tuple[str, ...]:
        values = []
        for thing in things:
            value = getattr(thing, name)
            if value is None and isinstance(thing, Service) and thing.site in sites:
                value = getattr(sites[thing.site], name)
            values.append(value)
        return _distinct(values)

    recorded = [t.name or t.id for t in (affected.services or affected.sites)]
    devices = [d.address for d in inventory.devices if d.id in {t.id for t in affected.devices}]
    level = affected.highest_level() or None
    single = {name: own_or_site(name) for name in _SINGLE}
    return SystemFacts(
        names=_distinct([getattr(t, "name", None) or t.id for t in things] or recorded),
        level=level,
        domains=_distinct(d for t in things for d in _with_site(t, sites, "domains")),
        addresses=_public([*(_check_host(s) for s in services), *devices], internal),
        services=_distinct(s.name or s.id for s in services),
        security_measures=_distinct(
            m for t in things for m in _with_site(t, sites, "security_measures")
        ),
        **single,
    )


def _with_site(thing: Service | Site, sites: dict[str, Site], name: str) -> list[str]:
    own: list[str] = getattr(thing, name)
    if not own and isinstance(thing, Service) and thing.site in sites:
        inherited: list[str] = getattr(sites[thing.site], name)
        return inherited
    return own
