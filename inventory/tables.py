"""The inventory as readable tables, one per kind, for ``netwarden inventory show``.

Secrets appear as their references (``env:NW_SNMP_AUTH``): the reference says where the value
lives, the value itself is never read here.
"""

from __future__ import annotations

from netwarden.hostport import format_hostport
from netwarden.inventory.fields import format_duration
from netwarden.inventory.model import Check, Credential, Endpoint, Inventory
from netwarden.output import render_table


def _endpoint(end: Endpoint) -> str:
    return f"{end.device}:{end.interface}" if end.device is not None else f"({end.external})"


def _check(check: Check) -> str:
    if check.http is not None:
        trusting = f" (CA {check.http.ca_file})" if check.http.ca_file else ""
        return f"http {check.http.url} -> {check.http.expect_status}{trusting}"
    if check.tcp is not None:
        return f"tcp {format_hostport(check.tcp.host, check.tcp.port)}"
    assert check.icmp is not None  # the model guarantees exactly one kind
    return f"icmp {check.icmp.host}"


def _credential(credential: Credential) -> str:
    if credential.ssh is not None:
        ssh = credential.ssh
        parts = [f"user {ssh.username}"]
        parts += [
            f"{name} {ref}"
            for name, ref in (("password", ssh.password), ("key", ssh.key))
            if ref is not None
        ]
        return ", ".join(parts)
    assert credential.snmp is not None
    snmp = credential.snmp
    if snmp.version == "2c":
        return f"v2c, community {snmp.community}"
    parts = [f"v3, user {snmp.user}"]
    if snmp.auth is not None:
        parts.append(f"auth {snmp.auth.protocol} {snmp.auth.secret}")
    if snmp.priv is not None:
        parts.append(f"priv {snmp.priv.protocol} {snmp.priv.secret}")
    return ", ".join(parts)


def _devices(inv: Inventory) -> str:
    rows = []
    for dev in inv.devices:
        snmp = dev.snmp
        snmp_text = (
            f"{snmp.credential} :{snmp.port} {format_duration(snmp.timeout)}" if snmp else ""
        )
        ssh = f"{dev.ssh.platform} :{dev.ssh.port}" if dev.ssh else ""
        rows.append([dev.id, dev.site, inv.agent_of(dev), dev.address, dev.role, snmp_text, ssh])
    headers = ["ID", "SITE", "AGENT", "ADDRESS", "ROLE", "SNMP", "SSH"]
    return render_table(headers, rows)


def render_inventory(inv: Inventory) -> str:
    """All kinds as titled tables, in the order of ``KINDS``."""
    sections = {
        "sites": render_table(
            ["ID", "KIND", "LEVEL", "NAME"],
            [[s.id, s.kind, s.security_level, s.name] for s in inv.sites],
        ),
        "agents": render_table(
            ["ID", "SITE", "METRICS", "DEVICES"],
            [[a.id, a.site, a.metrics, len(inv.devices_for(a.id))] for a in inv.agents],
        ),
        "devices": _devices(inv),
        "links": render_table(
            ["ID", "KIND", "A", "B"],
            [[lk.id, lk.kind, _endpoint(lk.a), _endpoint(lk.b)] for lk in inv.links],
        ),
        "services": render_table(
            ["ID", "SITE", "LEVEL", "CHECK", "NAME"],
            [[s.id, s.site, s.security_level, _check(s.check), s.name] for s in inv.services],
        ),
        "credentials": render_table(
            ["NAME", "KIND", "DETAILS"],
            [[name, c.kind, _credential(c)] for name, c in inv.credentials.items()],
        ),
    }
    counts = inv.counts()
    blocks = [f"province: {inv.province}"]
    blocks += [f"{kind} ({counts[kind]})\n{table}" for kind, table in sections.items()]
    return "\n\n".join(blocks)
