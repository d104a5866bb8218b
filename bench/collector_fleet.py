"""The collector benchmark's province: N agencies, each with one agent and a few devices.

The inventory is generated (never polled: the simulated agents only talk to the collector),
validated with the real loader before the collector is started, and uses only lab addresses
(198.18.0.0/15) and ``env:`` secret references, so nothing in it can reach a real network.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import yaml

from netwarden.inventory.loader import load_inventory

FIRST_LAN = int(ipaddress.IPv4Address("198.18.128.0"))  # the lab's scale range: never routed here
MAX_AGENTS = 8000  # 8,000 /28s fit in 198.18.128.0/17
DEVICE_ROLES = (("sw", "switch", 2), ("cam", "camera", 5), ("ap", "ap", 6))


@dataclass(frozen=True)
class SimAgentSpec:
    """One simulated agent: its id, its site and how many devices it is assigned."""

    id: str
    site: str
    devices: int


def _lan(index: int, host: int) -> str:
    return str(ipaddress.IPv4Address(FIRST_LAN + index * 16 + host))


def province(agents: int) -> tuple[dict[str, object], list[SimAgentSpec]]:
    """An inventory document of ``agents`` agencies (a switch polled over SNMP v3, a camera
    and an AP pinged, an uplink link and a TCP service each) and the agents' specs."""
    if not 1 <= agents <= MAX_AGENTS:
        raise ValueError(f"--agents must be between 1 and {MAX_AGENTS}, got {agents}")
    sites, specs, devices, links, services = [], [], [], [], []
    agent_rows = []
    for i in range(agents):
        site = f"bench-{i:04d}"
        agent = f"agent-{site}"
        sites.append({"id": site, "name": f"Bench agency {i}", "kind": "agency"})
        agent_rows.append({"id": agent, "site": site, "metrics": "pull"})
        for prefix, role, host in DEVICE_ROLES:
            device: dict[str, object] = {
                "id": f"{prefix}-{site}",
                "site": site,
                "address": _lan(i, host),
                "role": role,
            }
            if role == "switch":
                device["snmp"] = {"credential": "snmp-bench", "interval": "60s"}
            devices.append(device)
        links.append(
            {
                "id": f"tsl-{site}",
                "kind": "dedicated-data-network",
                "a": {"external": "core"},
                "b": {"device": f"sw-{site}", "interface": "wan0"},
            }
        )
        services.append(
            {
                "id": f"svc-cam-{site}",
                "site": site,
                "check": {"tcp": {"host": _lan(i, 5), "port": 554}},
            }
        )
        specs.append(SimAgentSpec(agent, site, len(DEVICE_ROLES)))
    credentials = {
        "snmp-bench": {
            "snmp": {
                "version": 3,
                "user": "bench",
                "auth": {"protocol": "sha", "secret": "env:NW_BENCH_AUTH"},
                "priv": {"protocol": "aes", "secret": "env:NW_BENCH_PRIV"},
            }
        }
    }
    document: dict[str, object] = {
        "province": "bench-province",
        "agents": agent_rows,
        "sites": sites,
        "devices": devices,
        "links": links,
        "services": services,
        "credentials": credentials,
    }
    return document, specs


def write_province(path: Path, agents: int) -> list[SimAgentSpec]:
    """Write the province to ``path`` (YAML), check it loads, and return the agents."""
    document, specs = province(agents)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    load_inventory([path])  # raises InventoryError with every problem if the generator is wrong
    return specs
