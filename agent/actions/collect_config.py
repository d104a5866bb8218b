"""``collect_config``: back the device's running configuration up now, through the agent's
config store (the same fetch, redaction and git commit as the scheduled backups)."""

from __future__ import annotations

from typing import Any

from netwarden.agent.actions.context import ActionContext, ActionFailed
from netwarden.agent.actions.params import CollectConfigParams
from netwarden.agent.actions.result import ActionResult
from netwarden.agent.configs.fetch import backup_device

DEADLINE = 90.0  # seconds: the session and the store's commit


async def run(params: CollectConfigParams, ctx: ActionContext) -> ActionResult:
    store = ctx.config_store()
    target = ctx.ssh_target(params.device)
    result = await backup_device(ctx.ssh, target, store, deadline=DEADLINE)
    output: dict[str, Any] = {
        "device": params.device,
        "status": result.outcome,  # new, changed, unchanged or failed
        "revision": result.commit,
        "changed": result.success and result.changed and not result.new,
        "new": result.new,
        "duration": result.duration,
        "reason": result.reason,
    }
    if not result.success:
        text = f"config backup of {params.device} failed ({result.reason}): {result.error}\n"
        raise ActionFailed(f"config backup of {params.device} failed: {result.error}", output, text)
    revision = (result.commit or "")[:12]
    return ActionResult(output, f"config backup of {params.device}: {result.outcome}, {revision}\n")
