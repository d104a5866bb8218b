"""Read the device namespace's routes and neighbours (iproute2 JSON), for ``show ip route``
and ``show ip arp``. Parsing is pure; only :class:`NamespaceRouting` runs ``ip``."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from netwarden.errors import LabError
from netwarden.lab.ios_cli.interfaces import RunIp, run_ip

_GONE = frozenset({"FAILED", "INCOMPLETE", "NOARP"})


@dataclass(frozen=True, slots=True)
class Route:
    """One IPv4 route of the main table: connected when it has no gateway."""

    network: ipaddress.IPv4Network
    gateway: str | None
    interface: str


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One resolved ARP entry."""

    address: str
    mac: str
    interface: str


class RoutingSource(Protocol):
    """Where the CLI reads routes and ARP entries from (fakes in tests)."""

    def routes(self) -> list[Route]: ...

    def neighbours(self) -> list[Neighbour]: ...


def parse_routes(entries: Sequence[Mapping[str, Any]]) -> list[Route]:
    """``ip -j -4 route show table main`` -> routes (``default`` is 0.0.0.0/0)."""
    found = []
    for entry in entries:
        dst = str(entry.get("dst", ""))
        try:
            network = ipaddress.IPv4Network("0.0.0.0/0" if dst == "default" else dst)
        except ValueError:
            continue  # multicast, blackhole or an IPv6 entry: not in this view
        gateway = entry.get("gateway")
        found.append(Route(network, str(gateway) if gateway else None, str(entry.get("dev", ""))))
    return found


def parse_neighbours(entries: Sequence[Mapping[str, Any]]) -> list[Neighbour]:
    """``ip -j -4 neigh show`` -> the entries that hold a MAC address."""
    found = []
    for entry in entries:
        state = set(entry.get("state", []))
        if "lladdr" not in entry or state & _GONE:
            continue
        found.append(Neighbour(str(entry["dst"]), str(entry["lladdr"]), str(entry.get("dev", ""))))
    return found


class NamespaceRouting:
    """The routes and neighbours of the namespace this process runs in."""

    def __init__(self, run: RunIp = run_ip) -> None:
        self._run = run

    def routes(self) -> list[Route]:
        return parse_routes(self._json(["-j", "-4", "route", "show", "table", "main"]))

    def neighbours(self) -> list[Neighbour]:
        return parse_neighbours(self._json(["-j", "-4", "neigh", "show"]))

    def _json(self, args: list[str]) -> list[dict[str, Any]]:
        try:
            data = json.loads(self._run(args) or "[]")
        except ValueError as exc:
            raise LabError(f"unreadable ip {' '.join(args)} output: {exc}") from exc
        return [entry for entry in data if isinstance(entry, dict)]
