"""Which ``HOST:PORT`` an agent may advertise for Prometheus to scrape (service discovery).

Service discovery hands Prometheus whatever address an agent advertises, so an unchecked
address would let a stolen agent credential point Prometheus (and its credentials, its
network position) at any internal host. An advertised host is accepted only if it is:

* the address the agent connects from (any port: the agent's own host), or
* listed for that agent in the inventory, ``agents[].advertise`` (an entry without a port
  allows any port on that host): for an agent behind NAT or with several addresses.

Host names are never resolved here: a name is accepted only when the inventory lists it. A
refused address is not stored (SD does not publish it); the heartbeat itself is still
recorded, and its answer says why (``advertise_error``), as does the collector's log.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from netwarden.hostport import HostPortError, parse_hostport
from netwarden.inventory.fields import split_advertise

log = logging.getLogger("netwarden.collector")

Ip = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(text: str) -> Ip | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d
    return address


def _same_host(a: str, b: str) -> bool:
    ip_a, ip_b = _ip(a), _ip(b)
    if ip_a is not None or ip_b is not None:
        return ip_a == ip_b
    return a.lower().rstrip(".") == b.lower().rstrip(".")


def refusal(
    agent_id: str, advertise: str, source: str | None, listed: Sequence[str] | None
) -> str | None:
    """Why ``agent_id`` may not advertise ``advertise`` (None when it may), connecting from
    ``source`` with the inventory listing ``listed`` for it."""
    try:
        host, port = parse_hostport(advertise)
    except HostPortError as exc:  # the body model already refused these; kept for safety
        return f"advertised address {advertise} is not HOST:PORT ({exc})"
    if source is not None and _same_host(host, source):
        return None
    for entry in listed or ():
        allowed_host, allowed_port = split_advertise(entry)
        if _same_host(host, allowed_host) and allowed_port in (None, port):
            return None
    where = f"connects from {source}" if source else "connects from an unknown address"
    inventory = (
        f"the inventory allows only {', '.join(listed)}"
        if listed
        else "the inventory lists no advertise address for it"
    )
    return (
        f"advertised address {advertise} refused: agent {agent_id} {where} and {inventory} "
        "(agents[].advertise); Prometheus will not be told to scrape it"
    )


@dataclass
class AdvertiseChecks:
    """The last verdict per agent: logs a refusal when it starts or changes (not every 15 s),
    and feeds the ``agent_advertise_refused`` gauge."""

    refused: dict[str, str] = field(default_factory=dict)

    def note(self, agent_id: str, advertise: str | None, error: str | None) -> None:
        before = self.refused.get(agent_id)
        if error is None:
            if before is not None:
                self.refused.pop(agent_id, None)
                log.info("agent %s: advertised address %s accepted", agent_id, advertise)
            return
        if error != before:
            log.warning("agent %s: %s", agent_id, error)
        self.refused[agent_id] = error
