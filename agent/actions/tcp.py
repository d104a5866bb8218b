"""``tcp``: a TCP connect to a port (the agent's TCP prober). A refused or silent port is
data (``connected: false`` with the reason), not a failed step."""

from __future__ import annotations

from typing import Any

from netwarden.agent.actions.context import ActionContext
from netwarden.agent.actions.params import TcpParams
from netwarden.agent.actions.result import ActionResult, ms
from netwarden.agent.probes import tcp
from netwarden.hostport import format_hostport


async def run(params: TcpParams, ctx: ActionContext) -> ActionResult:
    host = ctx.address(params.device, params.host)
    target = tcp.TcpTarget(host, params.port, params.timeout)
    result = await ctx.probers.probe("tcp", target, deadline=params.timeout)
    output: dict[str, Any] = {
        "host": host,
        "device": params.device,
        "port": params.port,
        "connected": result.success,
        "connect_seconds": result.values.get(tcp.CONNECT_SECONDS),
        "duration": result.duration,
        "reason": result.reason.value,
        "message": result.message,
    }
    where = format_hostport(host, params.port)
    if result.success:
        text = f"tcp {where}: connected in {ms(output['connect_seconds'])}\n"
    else:
        text = f"tcp {where}: not connected ({result.reason.value}): {result.message}\n"
    return ActionResult(output, text)
