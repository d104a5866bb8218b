"""``traceroute``: the routers on the path to a host (ICMP echo with TTL 1..max_hops, through
the agent's :class:`~netwarden.agent.actions.tracer.Tracer`). A path that stops short is data
(``reached: false``); only a trace that cannot run at all is a failed step."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

from netwarden.agent.actions.context import ActionContext, ActionFailed
from netwarden.agent.actions.params import TracerouteParams
from netwarden.agent.actions.result import ActionResult, ms
from netwarden.agent.actions.tracer import TraceError, hops


async def run(params: TracerouteParams, ctx: ActionContext) -> ActionResult:
    host = ctx.address(params.device, params.host)
    address = await _ipv4(host)
    try:
        answers = await ctx.tracer.trace(address, params.max_hops, params.timeout)
    except TraceError as exc:
        raise ActionFailed(str(exc)) from exc
    path, reached = hops(answers, params.max_hops)
    output: dict[str, Any] = {
        "host": host,
        "device": params.device,
        "address": address,
        "hops": [hop.as_dict() for hop in path],
        "reached": reached,
    }
    lines = [f"traceroute to {host} ({address}), {params.max_hops} hops max"]
    for hop in path:
        where = hop.address or "*"
        lines.append(f"{hop.ttl:>3}  {where:<16} {ms(hop.rtt) if hop.address else ''}".rstrip())
    lines.append("reached" if reached else f"not reached within {len(path)} hops")
    return ActionResult(output, "\n".join(lines) + "\n")


async def _ipv4(host: str) -> str:
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, family=socket.AF_INET, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ActionFailed(f"traceroute: cannot resolve {host}: {exc}") from exc
    if not infos:
        raise ActionFailed(f"traceroute: {host} has no IPv4 address")
    return str(infos[0][4][0])
