"""``snmp_walk``: a GETBULK walk of one subtree of a device, at most ``max_rows`` rows kept.

The client walks the subtree to its end (its own request bound stops a runaway device); the
output keeps the first ``max_rows`` rows and says whether it cut the rest.
"""

from __future__ import annotations

from netwarden.agent.actions.context import ActionContext, ActionFailed
from netwarden.agent.actions.params import SnmpWalkParams
from netwarden.agent.actions.result import ActionResult
from netwarden.agent.actions.snmp_values import varbind_dict, varbind_line
from netwarden.agent.snmp.types import SnmpError, parse_oid


async def run(params: SnmpWalkParams, ctx: ActionContext) -> ActionResult:
    root = parse_oid(params.oid)
    session = ctx.snmp(ctx.snmp_target(params.device))
    try:
        walked = (await session.bulk_walk([root])).get(root, [])
    except SnmpError as exc:
        raise ActionFailed(f"{params.device}: SNMP walk failed ({exc.reason}): {exc}") from exc
    finally:
        await session.close()
    rows = walked[: params.max_rows]
    truncated = len(walked) > len(rows)
    output = {
        "device": params.device,
        "oid": params.oid,
        "rows": [varbind_dict(vb) for vb in rows],
        "truncated": truncated,
        "total": len(walked),
    }
    lines = [f"SNMP walk {params.device} {params.oid}: {len(walked)} rows"]
    lines += [varbind_line(vb) for vb in rows]
    if truncated:
        lines.append(
            f"... {len(walked) - len(rows)} more rows not kept (max_rows {params.max_rows})"
        )
    return ActionResult(output, "\n".join(lines) + "\n")
