"""``show ip route``, ``show ip route ADDRESS``, ``show ip arp`` and ``show clock`` in IOS
layout, from plain data (no I/O).

The route table leaves out IOS's "is variably subnetted" group headers: one line per route,
codes C (connected), L (an interface's own address), S (via a gateway), S* (the default).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from datetime import datetime

from netwarden.lab.ios_cli.model import InterfaceState
from netwarden.lab.ios_cli.routing import Neighbour, Route

CODES = (
    "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
    "       O - OSPF, IA - OSPF inter area, * - candidate default\n"
)


def local_routes(interfaces: Iterable[InterfaceState]) -> list[Route]:
    """An /32 ``L`` route for each IPv4 address of a (non-loopback) interface."""
    return [
        Route(ipaddress.IPv4Network(f"{address.ip}/32"), None, iface.name)
        for iface in interfaces
        if not iface.is_loopback
        for address in iface.addresses
    ]


def _code(route: Route, local: bool) -> str:
    if local:
        return "L"
    if route.gateway is None:
        return "C"
    return "S*" if route.network.prefixlen == 0 else "S"


def _line(route: Route, local: bool) -> str:
    code = f"{_code(route, local):<9}"
    if route.gateway is None:
        return f"{code}{route.network} is directly connected, {route.interface}\n"
    return f"{code}{route.network} [1/0] via {route.gateway}\n"


def show_ip_route(routes: Sequence[Route], interfaces: Iterable[InterfaceState]) -> str:
    locals_ = local_routes(interfaces)
    default = next((r for r in routes if r.network.prefixlen == 0 and r.gateway), None)
    gateway = (
        f"Gateway of last resort is {default.gateway} to network 0.0.0.0\n"
        if default is not None
        else "Gateway of last resort is not set\n"
    )
    table = [(r, False) for r in routes] + [(r, True) for r in locals_]
    table.sort(key=lambda item: (int(item[0].network.network_address), item[0].network.prefixlen))
    return CODES + "\n" + gateway + "\n" + "".join(_line(r, local) for r, local in table)


def show_ip_route_for(
    address: str, routes: Sequence[Route], interfaces: Iterable[InterfaceState]
) -> str:
    """The entry of the longest prefix holding ``address`` (IOS: ``% Network not in table``)."""
    wanted = ipaddress.IPv4Address(address)
    candidates = [*routes, *local_routes(interfaces)]
    matching = [r for r in candidates if wanted in r.network]
    if not matching:
        return "% Network not in table\n"
    best = max(matching, key=lambda r: r.network.prefixlen)
    if best.gateway is None:
        known = 'Known via "connected", distance 0, metric 0 (connected, via interface)'
        block = f"  * directly connected, via {best.interface}"
    else:
        known = 'Known via "static", distance 1, metric 0'
        block = f"  * {best.gateway}"
    return (
        f"Routing entry for {best.network}\n  {known}\n  Routing Descriptor Blocks:\n"
        f"{block}\n      Route metric is 0, traffic share count is 1\n"
    )


def _dotted_mac(mac: str) -> str:
    digits = mac.replace(":", "").lower()
    return ".".join(digits[i : i + 4] for i in range(0, 12, 4))


def show_ip_arp(neighbours: Sequence[Neighbour], interfaces: Iterable[InterfaceState]) -> str:
    """Own addresses (age ``-``) and resolved neighbours, by address."""
    rows: list[tuple[ipaddress.IPv4Address, str, str, str]] = []
    for iface in interfaces:
        if iface.is_loopback or not iface.mac:
            continue
        for address in iface.addresses:
            rows.append((ipaddress.IPv4Address(address.ip), "-", iface.mac, iface.name))
    for entry in neighbours:
        rows.append((ipaddress.IPv4Address(entry.address), "0", entry.mac, entry.interface))
    rows.sort()
    lines = ["Protocol  Address          Age (min)  Hardware Addr   Type   Interface"]
    lines += [
        f"Internet  {ip!s:<16} {age:>6}   {_dotted_mac(mac):<14}  ARPA   {name}"
        for ip, age, mac, name in rows
    ]
    return "\n".join(lines) + "\n"


def show_clock(now: datetime) -> str:
    """``*03:44:14.123 UTC Sun Dec 7 2025`` (the leading ``*``: no NTP, as in the lab)."""
    millis = now.microsecond // 1000
    return f"*{now:%H:%M:%S}.{millis:03d} UTC {now:%a %b} {now.day} {now.year}\n"
