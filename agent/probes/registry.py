"""The real probe functions behind `Probers`, sharing one ICMP socket per agent."""

from __future__ import annotations

from netwarden.agent.probes.http import probe_http
from netwarden.agent.probes.icmp import IcmpPinger
from netwarden.agent.probes.plan import Probers
from netwarden.agent.probes.result import ProbeResult
from netwarden.agent.probes.tcp import probe_tcp
from netwarden.inventory.model import Service


def real_probers(pinger: IcmpPinger) -> Probers:
    async def icmp(host: str, count: int, spacing: float, wait: float) -> ProbeResult:
        return await pinger.ping(host, count=count, spacing=spacing, timeout=wait)

    async def tcp(host: str, port: int, deadline: float) -> ProbeResult:
        return await probe_tcp(host, port, deadline=deadline)

    async def http(service: Service, deadline: float) -> ProbeResult:
        check = service.check.http
        assert check is not None  # only http services get here
        return await probe_http(
            check.url,
            expect_status=check.expect_status,
            tls_verify=check.tls_verify,
            body_regex=check.body_regex,
            max_redirects=check.max_redirects,
            deadline=deadline,
        )

    return Probers(icmp=icmp, tcp=tcp, http=http)
