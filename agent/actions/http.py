"""``http``: a GET with the agent's HTTP prober: status, the time of each phase, and the
certificate's days left on https. A failed check is data (``success: false`` with the reason),
not a failed step: a portal-down playbook shows what the portal answered, or did not."""

from __future__ import annotations

from typing import Any

from netwarden.agent.actions.context import ActionContext
from netwarden.agent.actions.params import HttpParams
from netwarden.agent.actions.result import ActionResult, ms
from netwarden.agent.probes import http


async def run(params: HttpParams, ctx: ActionContext) -> ActionResult:
    target = http.HttpTarget(
        params.url,
        params.expect_status,
        params.tls_verify,
        timeout=params.timeout,
        ca_file=params.ca_file,
    )
    result = await ctx.probers.probe("http", target, deadline=params.timeout)
    values = result.values
    days = values.get(http.TLS_DAYS_LEFT)
    output: dict[str, Any] = {
        "url": params.url,
        "success": result.success,
        "status": int(values.get(http.STATUS_CODE, 0)) or None,
        "reason": result.reason.value,
        "message": result.message,
        "duration": result.duration,
        "phases": result.labelled.get(http.PHASE_SECONDS, {}),
        "tls_days_left": days,
        "tls_verified": bool(values.get(http.TLS_VERIFIED)) if days is not None else None,
        "redirects": int(values.get(http.REDIRECT_COUNT, 0)),
        "content_length": int(values.get(http.CONTENT_LENGTH, 0)),
    }
    return ActionResult(output, render(output))


def render(output: dict[str, Any]) -> str:
    outcome = "ok" if output["success"] else f"FAILED ({output['reason']}): {output['message']}"
    lines = [f"GET {output['url']}: status {output['status'] or '-'}, {outcome}"]
    lines += [f"  {phase:<10} {ms(seconds)}" for phase, seconds in output["phases"].items()]
    lines.append(f"  {'total':<10} {ms(output['duration'])}")
    if output["tls_days_left"] is not None:
        verified = "verified" if output["tls_verified"] else "not verified"
        lines.append(f"TLS certificate: {output['tls_days_left']:.1f} days left ({verified})")
    return "\n".join(lines) + "\n"
