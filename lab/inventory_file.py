"""The lab's inventory, in the same schema as a real province's, written by ``lab up``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from netwarden.lab.daemons import IOS_CLI_PORT, SNMP_V3_USER, SSH_USER
from netwarden.lab.topology import Endpoint, Plan, Site

SECRET_FILES = ("snmp-community", "snmp-auth", "snmp-priv", "ssh-password", "enable-secret")


def _credentials(secrets_dir: Path) -> dict[str, Any]:
    ref = {name: f"file:{secrets_dir / name}" for name in SECRET_FILES}
    return {
        "snmp-lab-v3": {
            "snmp": {
                "version": 3,
                "user": SNMP_V3_USER,
                "auth": {"protocol": "sha", "secret": ref["snmp-auth"]},
                "priv": {"protocol": "aes", "secret": ref["snmp-priv"]},
            }
        },
        "snmp-lab-v2": {"snmp": {"version": "2c", "community": ref["snmp-community"]}},
        "ssh-lab": {
            "ssh": {
                "username": SSH_USER,
                "password": ref["ssh-password"],
                "enable_secret": ref["enable-secret"],
            }
        },
    }


def _device(plan: Plan, index: int) -> dict[str, Any]:
    device = plan.devices[index]
    entry: dict[str, Any] = {
        "id": device.id,
        "site": device.site,
        "address": device.address,
        "role": device.role,
        # Short intervals keep the lab lively; a province would keep the 60 s default.
        "snmp": {"credential": "snmp-lab-v3", "timeout": "1s", "retries": 1, "interval": "5s"},
        "icmp": {"interval": "10s", "count": 10, "timeout": "1s"},
    }
    if device.site == "big":
        entry["snmp"] = {"credential": "snmp-lab-v3", "timeout": "10s", "interval": "60s"}
    ssh_timing = {"interval": "10s", "backup_interval": "30s"}
    if device.ios_cli:
        entry["ssh"] = {
            "credential": "ssh-lab",
            "platform": "cisco_ios",
            "port": IOS_CLI_PORT,
            **ssh_timing,
        }
    elif device.ssh_ports:
        entry["ssh"] = {"credential": "ssh-lab", "platform": "linux", "port": 22, **ssh_timing}
    return entry


def _agent_of(endpoint: Endpoint) -> dict[str, str]:
    return {"agent": endpoint.agent} if endpoint.agent else {}


def _scale_devices(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "id": f"sim-{n:05d}",
            "site": "scale",
            "address": address,
            "role": "switch",
            "snmp": {"credential": "snmp-lab-v2", "timeout": "2s", "interval": "60s"},
        }
        for n, address in enumerate(plan.scale_addresses, start=1)
    ]


def build_inventory(plan: Plan, secrets_dir: Path) -> dict[str, Any]:
    """The inventory document for ``plan``: one agent per site, every device, link, endpoint."""
    devices = [
        _device(plan, i) for i in range(len(plan.devices)) if plan.devices[i].site != "scale"
    ]
    devices += [
        {
            "id": ep.id,
            "site": ep.site,
            **_agent_of(ep),
            "address": ep.address,
            "role": ep.role,
            "icmp": {"interval": "10s", "count": 10, "timeout": "1s"},
        }
        for ep in plan.endpoints
    ]
    devices += _scale_devices(plan)
    links: list[dict[str, Any]] = [
        {
            "id": link.id,
            "kind": "dedicated-data-network",
            "a": {"device": "core-rtr", "interface": link.core_if},
            "b": {"device": link.far_device, "interface": link.far_if},
        }
        for link in plan.links
    ]
    links += [
        {
            "id": f"lan-dc-{short}",
            "kind": "lan-uplink",
            "a": {"device": "sw-dc-core", "interface": f"h-{short}"},
            "b": {"device": f"dc-{short}-01", "interface": "eth0"},
        }
        for short in ("web", "db")
    ]
    services: list[dict[str, Any]] = [
        {
            "id": service_id,
            "name": name,
            "site": "dc",
            "security_level": 3,
            "check": {"http": {"url": url, "expect_status": 200, "tls_verify": False}},
            "interval": "10s",
        }
        for service_id, name, url in (
            ("cong-dvc", "Cổng dịch vụ công tỉnh", "https://198.18.10.5/"),
            (
                "cong-dvc-cu",
                "Cổng dịch vụ công (chứng thư sắp hết hạn)",
                "https://198.18.10.5:8443/",
            ),
            (
                "cong-dvc-het-han",
                "Cổng dịch vụ công (chứng thư đã hết hạn)",
                "https://198.18.10.5:9443/",
            ),
        )
    ]
    services += [
        {
            "id": f"svc-{ep.id}",
            "site": ep.site,
            **_agent_of(ep),
            "check": {"tcp": {"host": ep.address, "port": ep.port}},
        }
        for ep in plan.endpoints
    ]
    return {
        "province": "thai-nguyen-lab",
        "agents": [_agent(site) for site in plan.sites if site.has_agent],
        "sites": [{"id": site.id, "name": site.name, "kind": site.kind} for site in plan.sites],
        "devices": devices,
        "links": links,
        "services": services,
        "credentials": _credentials(secrets_dir),
    }


def _agent(site: Site) -> dict[str, Any]:
    """The site's agent: pushing behind NAT; pulled elsewhere, from its management address
    (the collector refuses any other it advertises; docs/collector.md)."""
    entry: dict[str, Any] = {"id": f"agent-{site.id}", "site": site.id}
    entry["metrics"] = "push" if site.nat else "pull"
    if not site.nat and site.agent_address is not None:
        entry["advertise"] = [site.agent_address]
    return entry


def write_inventory(document: dict[str, Any], path: Path) -> None:
    header = "# Written by `netwarden lab up`: the lab province. Regenerated on every `up`.\n"
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + body, encoding="utf-8")
