"""``wait_until``: check an SNMP value or a probe every ``every`` seconds until the condition
holds or ``timeout`` passes (a link coming back, a port going down after a shut).

A check that fails (the device does not answer yet) is simply not met: waiting for a device
to come back is what this action is for. Not met by the timeout is a failed step, with the
last check in its output.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from netwarden.agent.actions import conditions
from netwarden.agent.actions.context import ActionContext, ActionFailed
from netwarden.agent.actions.params import ProbeCondition, SnmpCondition, WaitUntilParams
from netwarden.agent.actions.result import ActionResult
from netwarden.agent.actions.snmp_values import varbind_dict
from netwarden.agent.probes.target_params import TargetParamsError
from netwarden.agent.snmp.types import SnmpError, SnmpSession, parse_oid

PROBE_DEADLINE = 10.0  # seconds one probe check may take at most


class _SnmpCheck:
    """One SNMP GET per check, on one session for the whole wait."""

    def __init__(self, condition: SnmpCondition, ctx: ActionContext) -> None:
        self.condition = condition
        self.oid = parse_oid(condition.oid)
        self.session: SnmpSession = ctx.snmp(ctx.snmp_target(condition.device))

    def describe(self) -> str:
        comparison, expected = self.condition.comparison()
        return f"{self.condition.device} {self.condition.oid} {comparison} {expected!r}"

    async def check(self, remaining: float) -> tuple[bool, dict[str, Any]]:
        try:
            (vb,) = await self.session.get([self.oid])
        except SnmpError as exc:
            return False, {"error": f"{exc.reason}: {exc}"}
        last = varbind_dict(vb)
        comparison, expected = self.condition.comparison()
        return conditions.holds(comparison, expected, last["value"]), last

    async def close(self) -> None:
        await self.session.close()


class _ProbeCheck:
    """One probe per check; met when its success is the one waited for."""

    def __init__(self, condition: ProbeCondition, ctx: ActionContext) -> None:
        self.condition, self.probers = condition, ctx.probers
        try:
            self.target = ctx.probers.target(condition.kind, condition.target)
        except TargetParamsError as exc:
            raise ActionFailed(f"wait_until: probe {condition.kind}: {exc}") from exc

    def describe(self) -> str:
        wanted = "succeeds" if self.condition.success else "fails"
        return f"{self.condition.kind} probe of {self.target.label} {wanted}"

    async def check(self, remaining: float) -> tuple[bool, dict[str, Any]]:
        deadline = max(0.1, min(PROBE_DEADLINE, remaining))
        result = await self.probers.probe(self.condition.kind, self.target, deadline=deadline)
        last = {"success": result.success, "reason": result.reason.value, "message": result.message}
        return result.success == self.condition.success, last

    async def close(self) -> None:
        return None


def _check(params: WaitUntilParams, ctx: ActionContext) -> _SnmpCheck | _ProbeCheck:
    if params.condition.snmp is not None:
        return _SnmpCheck(params.condition.snmp, ctx)
    assert params.condition.probe is not None  # the params model requires one of them
    return _ProbeCheck(params.condition.probe, ctx)


async def run(params: WaitUntilParams, ctx: ActionContext) -> ActionResult:
    check = _check(params, ctx)
    try:
        output = await _wait(check, params.every, params.timeout)
    finally:
        await check.close()
    text = (
        f"wait until {check.describe()}: {'met' if output['met'] else 'NOT met'} after "
        f"{output['after_seconds']:.1f} s, {output['checks']} checks; last: {output['last']}\n"
    )
    if not output["met"]:
        raise ActionFailed(
            f"condition not met within {params.timeout:g} s ({check.describe()}; last: "
            f"{output['last']})",
            output,
            text,
        )
    return ActionResult(output, text)


async def _wait(check: _SnmpCheck | _ProbeCheck, every: float, limit: float) -> dict[str, Any]:
    """Check at once, then every ``every`` s while a next check still starts within
    ``limit`` s; bounded in count as in time."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    last: dict[str, Any] = {}
    checks, met = 0, False
    while checks <= int(limit / every):
        began = loop.time()
        checks += 1
        met, last = await check.check(start + limit - began)
        if met or began + every > start + limit:
            break
        await asyncio.sleep(max(0.0, began + every - loop.time()))
    return {
        "met": met,
        "after_seconds": loop.time() - start,
        "checks": checks,
        "last": last,
        "at": time.time(),
    }
