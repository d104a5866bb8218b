"""The files the demo writes before it starts anything: its inventory (the lab's, with the
NAT'd agency pushing), Prometheus' configuration and ``alerting.yaml``. Pure: paths and
addresses in, documents out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PUSH_AGENT = "agent-p-phan-dinh-phung"  # the agency behind NAT: Prometheus cannot scrape it
CORE_POLL = "2s"  # the core router's poll: a cut line shows within seconds
# Security levels (cấp độ, Nghị định 85/2016) as a province classifies its systems: what an
# incident shows for what it affects, and what fills Mẫu 03's level.
SECURITY_LEVELS = {"core": 3, "dc": 4, "so-khcn": 3, "so-tc": 3, "p-phan-dinh-phung": 2}
# Agencies whose switch the core can ping: their availability is judged from the core side.
CORE_PINGS = {"so-khcn": "198.18.1.2", "so-tc": "198.18.2.2"}


@dataclass(frozen=True)
class Endpoints:
    """Where the demo's daemons listen (ports chosen free at run time)."""

    collector: str  # https://HOST:PORT, in the data centre
    prometheus: str  # http://HOST:PORT
    alertmanager: str  # http://HOST:PORT
    people: str  # http://HOST:PORT of the webhook receiver standing in for people

    def hostport(self, url: str) -> str:
        return url.split("://", 1)[1]


def demo_inventory(lab_inventory: Path, prometheus: str) -> dict[str, Any]:
    """The lab's inventory with the NAT'd agent's remote-write block, the core router polled
    faster and the agency switches pinged from the core (the availability report's agencies)."""
    document: dict[str, Any] = yaml.safe_load(lab_inventory.read_text(encoding="utf-8"))
    for agent in document["agents"]:
        if agent["id"] == PUSH_AGENT:
            agent["push"] = {"url": f"{prometheus}/api/v1/write", "interval": "5s"}
    for site in document["sites"]:
        if site["id"] in SECURITY_LEVELS:
            site["security_level"] = SECURITY_LEVELS[site["id"]]
    for device in document["devices"]:
        if device["id"] == "core-rtr":
            device["snmp"] |= {"interval": CORE_POLL, "timeout": "1s", "retries": 0}
    document["services"] += [
        {
            "id": f"reach-{site}",
            "name": f"Ping {site} từ lõi",
            "site": site,
            "agent": "agent-core",
            "interval": "5s",
            "check": {"icmp": {"host": address, "count": 2, "timeout": "500ms"}},
        }
        for site, address in CORE_PINGS.items()
    ]
    return document


def prometheus_config(
    folder: Path, rules_dir: Path, ends: Endpoints, ca_file: Path, token_file: Path
) -> dict[str, Any]:
    """Scrape the agents (the collector's HTTP SD, ``honor_labels``) and the collector every
    second, evaluate netwarden's rules, alert the demo's Alertmanager, accept remote write."""
    tls = {"ca_file": str(ca_file)}
    collector = ends.hostport(ends.collector)
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "storage": {"tsdb": {"out_of_order_time_window": "72h"}},  # the push spool's backlog
        "rule_files": [str(rules_dir / "*.yml")],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [ends.hostport(ends.alertmanager)]}]}]
        },
        "scrape_configs": [
            {
                "job_name": "netwarden-agents",
                "honor_labels": True,
                "http_sd_configs": [
                    {
                        "url": f"{ends.collector}/api/v1/sd",
                        "refresh_interval": "1s",
                        "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
                        "tls_config": tls,
                    }
                ],
            },
            {
                "job_name": "netwarden-collector",
                "scheme": "https",
                "tls_config": tls,
                "static_configs": [{"targets": [collector]}],
            },
        ],
    }


def alerting_config(ends: Endpoints, ca_file: Path, token_file: Path) -> dict[str, Any]:
    """``alerting.yaml``: the collector's intake, people, the on-duty lead and the dead man's
    switch all on the demo's webhook receiver, with timings of seconds."""
    quick = {"group_wait": "1s", "group_interval": "2s", "repeat_interval": "1h"}
    return {
        "collector": {
            "url": ends.collector,
            "ca_file": str(ca_file),
            "token_file": str(token_file),
            "timing": quick,
        },
        "receivers": {
            "people": {"webhook": [{"url": f"{ends.people}/people"}]},
            "lead": {"webhook": [{"url": f"{ends.people}/lead"}]},
            "deadman": {"webhook": [{"url": f"{ends.people}/deadman"}]},
        },
        "people": {"receiver": "people", "timing": quick},
        "escalation": {"receiver": "lead"},
        "watchdog": {"receiver": "deadman", "repeat_interval": "1m"},
    }


def write_yaml(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1), "utf-8")  # JSON is valid YAML
    return path
