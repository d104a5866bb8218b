"""``ping``: an ICMP echo series on the agent's one ICMP socket (the ``ping`` job kind, as the
collector has posted it since the jobs API came, extended): loss, RTT statistics, jitter.

A host that does not answer is data (``received: 0``, ``loss_ratio: 1``), not a failed step:
a link-down playbook pings the dead link to show it dead. The keys of the original ``ping``
job (``success``, ``reason``, ``message``, ``duration``, ``values``, ``labelled``) stay.
"""

from __future__ import annotations

from typing import Any

from netwarden.agent.actions.context import ActionContext
from netwarden.agent.actions.params import PingParams
from netwarden.agent.actions.result import ActionResult, ms
from netwarden.agent.probes import icmp
from netwarden.agent.sync.jobs import probe_output

RTT_KEYS = ("min", "avg", "max", "p50", "p95")


async def run(params: PingParams, ctx: ActionContext) -> ActionResult:
    host = ctx.address(params.device, params.host)
    target = icmp.IcmpTarget(host, params.count, params.interval, params.timeout)
    result = await ctx.probers.probe("icmp", target, deadline=params.max_seconds())
    sent = int(result.values.get(icmp.SENT, 0))
    loss = result.values.get(icmp.LOSS, 1.0)
    rtts = result.labelled.get(icmp.RTT, {})
    output = {
        **probe_output(result),
        "host": host,
        "device": params.device,
        "sent": sent,
        "received": round(sent * (1.0 - loss)),
        "loss_ratio": loss,
        "rtt": {key: rtts.get(key) for key in RTT_KEYS},
        "jitter": result.values.get(icmp.JITTER) if rtts else None,
    }
    return ActionResult(output, render(output))


def render(output: dict[str, Any]) -> str:
    name = f"{output['device']} ({output['host']})" if output["device"] else output["host"]
    lines = [
        f"ping {name}: {output['sent']} sent, {output['received']} received, "
        f"{output['loss_ratio']:.0%} loss"
    ]
    rtt = output["rtt"]
    if rtt["min"] is not None:
        figures = "/".join(f"{rtt[key] * 1000:.3f}" for key in RTT_KEYS)
        lines.append(f"rtt min/avg/max/p50/p95 = {figures} ms, jitter {ms(output['jitter'])}")
    if output["message"]:
        lines.append(f"{output['reason']}: {output['message']}")
    return "\n".join(lines) + "\n"
