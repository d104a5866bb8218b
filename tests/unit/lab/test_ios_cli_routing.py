"""The lab CLI's ``show ip route [ADDRESS]``, ``show ip arp``/``show arp``, ``show clock`` and
output filters (``| include|exclude|begin|section``), on fakes: no namespace, no root."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest

from netwarden.lab.ios_cli import filters
from netwarden.lab.ios_cli.routing import (
    NamespaceRouting,
    Neighbour,
    Route,
    parse_neighbours,
    parse_routes,
)
from netwarden.lab.ios_cli.session import INVALID_INPUT, Session
from tests.unit.lab.test_ios_cli_session import (
    SECRET,
    FakeControl,
    FakeReader,
    ScriptedTerminal,
)

ROUTES_JSON = [
    {"dst": "default", "gateway": "198.19.2.1", "dev": "wan0", "flags": []},
    {"dst": "198.18.2.0/24", "dev": "lan0", "protocol": "kernel", "scope": "link",
     "prefsrc": "198.18.2.2", "flags": []},
    {"dst": "198.18.2.50", "dev": "cam0", "scope": "link", "flags": []},
    {"dst": "198.19.2.0/30", "dev": "wan0", "protocol": "kernel", "scope": "link", "flags": []},
    {"dst": "ff00::/8", "dev": "wan0"},
]  # fmt: skip
NEIGH_JSON = [
    {"dst": "198.19.2.1", "dev": "wan0", "lladdr": "ea:e8:e1:a3:36:cc", "state": ["REACHABLE"]},
    {"dst": "198.18.2.9", "dev": "lan0", "state": ["FAILED"]},
    {"dst": "198.18.2.7", "dev": "lan0", "lladdr": "02:00:00:00:00:07", "state": ["STALE"]},
]


class FakeRouting:
    def routes(self) -> list[Route]:
        return parse_routes(ROUTES_JSON)

    def neighbours(self) -> list[Neighbour]:
        return parse_neighbours(NEIGH_JSON)


def _session(term: ScriptedTerminal) -> Session:
    when = datetime(2026, 11, 23, 8, 5, 9, 42000, tzinfo=UTC)
    return Session(
        "sw-test",
        term,
        FakeReader(),
        FakeControl(),
        lambda: SECRET,
        routing=FakeRouting(),
        clock=lambda: when,
    )


def run(*lines: str) -> str:
    term = ScriptedTerminal(lines)
    _session(term).run()
    return term.output


def test_routes_and_neighbours_are_read_from_iproute2_json() -> None:
    assert parse_routes(ROUTES_JSON) == [
        Route(ipaddress.IPv4Network("0.0.0.0/0"), "198.19.2.1", "wan0"),
        Route(ipaddress.IPv4Network("198.18.2.0/24"), None, "lan0"),
        Route(ipaddress.IPv4Network("198.18.2.50/32"), None, "cam0"),
        Route(ipaddress.IPv4Network("198.19.2.0/30"), None, "wan0"),
    ]
    assert parse_neighbours(NEIGH_JSON) == [
        Neighbour("198.19.2.1", "ea:e8:e1:a3:36:cc", "wan0"),
        Neighbour("198.18.2.7", "02:00:00:00:00:07", "lan0"),
    ]
    asked: list[list[str]] = []

    def fake_ip(args: list[str]) -> str:
        asked.append(args)
        return "[]"

    routing = NamespaceRouting(fake_ip)
    assert (routing.routes(), routing.neighbours()) == ([], [])
    assert asked == [["-j", "-4", "route", "show", "table", "main"], ["-j", "-4", "neigh", "show"]]


def test_show_ip_route_lists_every_route_in_ios_layout() -> None:
    out = run("show ip route")
    assert "Gateway of last resort is 198.19.2.1 to network 0.0.0.0\n" in out
    table = [line for line in out.splitlines() if line[:1] in ("S", "C", "L")]
    assert table == [
        "S*       0.0.0.0/0 [1/0] via 198.19.2.1",
        "L        198.18.0.2/32 is directly connected, wan0",
        "L        198.18.0.3/32 is directly connected, lan0",
        "C        198.18.2.0/24 is directly connected, lan0",
        "C        198.18.2.50/32 is directly connected, cam0",
        "C        198.19.2.0/30 is directly connected, wan0",
    ]


@pytest.mark.parametrize(
    ("address", "entry"),
    [
        ("198.18.2.77", "Routing entry for 198.18.2.0/24\n"
         '  Known via "connected", distance 0, metric 0 (connected, via interface)\n'
         "  Routing Descriptor Blocks:\n  * directly connected, via lan0\n"),
        ("198.18.9.9", "Routing entry for 0.0.0.0/0\n  Known via \"static\", distance 1, "
         "metric 0\n  Routing Descriptor Blocks:\n  * 198.19.2.1\n"),
        ("198.18.0.3", "Routing entry for 198.18.0.3/32\n"),
    ],
)  # fmt: skip
def test_show_ip_route_for_an_address_picks_the_longest_prefix(address: str, entry: str) -> None:
    assert run(f"sh ip ro {address}").startswith(f"sw-test>{entry}")


def test_show_ip_route_for_a_bad_address_points_at_it() -> None:
    out = run("show ip route 198.18.2")
    assert (
        out == "sw-test>" + " " * len("sw-test>show ip route ") + f"^\n{INVALID_INPUT}\n\nsw-test>"
    )


def test_show_ip_arp_lists_own_addresses_and_resolved_neighbours() -> None:
    out = run("show ip arp")
    assert out.splitlines()[:5] == [
        "sw-test>Protocol  Address          Age (min)  Hardware Addr   Type   Interface",
        "Internet  198.18.0.2            -   0200.0000.0002  ARPA   wan0",
        "Internet  198.18.0.3            -   0200.0000.0003  ARPA   lan0",
        "Internet  198.18.2.7            0   0200.0000.0007  ARPA   lan0",
        "Internet  198.19.2.1            0   eae8.e1a3.36cc  ARPA   wan0",
    ]
    assert run("show arp") == out


def test_show_clock() -> None:
    assert run("show clock") == "sw-test>*08:05:09.042 UTC Mon Nov 23 2026\nsw-test>"


def test_output_filters() -> None:
    assert run("show ip route | include directly").count("directly connected") == 5
    assert "Codes:" not in run("show ip route | inc directly")
    excluded = run("show ip route | exclude directly")
    assert "directly" not in excluded and "S*       0.0.0.0/0 [1/0] via 198.19.2.1" in excluded
    begun = run("show ip route | begin ^C +198")
    assert begun.startswith("sw-test>C        198.18.2.0/24 is directly connected, lan0\n")
    section = run("enable", SECRET, "show running-config | section interface lan0")
    assert section.endswith(
        "sw-test#interface lan0\n ip address 198.18.0.3 255.255.255.0\n shutdown\nsw-test#"
    )
    # In configuration mode through `do`, too.
    done = run("enable", SECRET, "conf t", "do show ip arp | include lan0")
    assert done.count("lan0") == 2


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("show clock | tee x", f"^\n{INVALID_INPUT}"),
        ("show clock |", "% Incomplete command."),
        ("show clock | include", "% Incomplete command."),
        ("show clock | include (", "% Invalid regular expression"),
    ],
)
def test_bad_filters_are_refused_as_ios_does(line: str, said: str) -> None:
    assert said in run(line)


def test_a_filter_split_keeps_the_command() -> None:
    command, found = filters.split("show interfaces wan0 | i errors")
    assert command == "show interfaces wan0 "
    assert isinstance(found, filters.OutputFilter) and found.keyword == "include"
    assert found.apply("a errors\nb\nc errors\n") == "a errors\nc errors\n"


def test_without_a_routing_source_the_commands_say_so() -> None:
    term = ScriptedTerminal(["show ip route", "show ip arp"])
    Session("sw-test", term, FakeReader(), FakeControl(), lambda: SECRET).run()
    assert term.output.count("% routing table not available") == 2
