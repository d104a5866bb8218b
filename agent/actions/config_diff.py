"""``config_diff``: the unified diff between two backups of a device in the agent's config
store; by default its last change (the backup before the latest one, to the latest)."""

from __future__ import annotations

import asyncio
from typing import Any

from netwarden.agent.actions.context import ActionContext, ActionFailed
from netwarden.agent.actions.params import ConfigDiffParams
from netwarden.agent.actions.result import ActionResult
from netwarden.errors import NetwardenError


async def run(params: ConfigDiffParams, ctx: ActionContext) -> ActionResult:
    store = ctx.config_store()
    ctx.device(params.device)  # only a device of this agent's slice
    try:
        # git runs as subprocesses and waits on the store's lock: never on the event loop.
        diff = await asyncio.to_thread(store.compare, params.device, params.from_rev, params.to_rev)
    except NetwardenError as exc:
        raise ActionFailed(f"config_diff {params.device}: {exc}") from exc
    before, after = diff.before, diff.after
    output: dict[str, Any] = {
        "device": params.device,
        "from_rev": before.commit if before else None,
        "to_rev": after.commit,
        "from_time": before.time.isoformat() if before else None,
        "to_time": after.time.isoformat(),
        "changed": bool(diff.text),
        "diff": diff.text,
    }
    head = f"{params.device}: {before.commit[:12] if before else 'nothing'} -> {after.commit[:12]}"
    body = diff.text or "(no difference)\n"
    return ActionResult(output, f"{head}\n{body}")
