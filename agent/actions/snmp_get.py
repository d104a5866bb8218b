"""``snmp_get``: one SNMP GET of a few OIDs on a device of this agent's slice."""

from __future__ import annotations

from netwarden.agent.actions.context import ActionContext, ActionFailed
from netwarden.agent.actions.params import SnmpGetParams
from netwarden.agent.actions.result import ActionResult
from netwarden.agent.actions.snmp_values import varbind_dict, varbind_line
from netwarden.agent.snmp.types import SnmpError, parse_oid


async def run(params: SnmpGetParams, ctx: ActionContext) -> ActionResult:
    """The values in request order; an absent object is its exception (noSuchObject...), a
    device that does not answer is a failed step."""
    session = ctx.snmp(ctx.snmp_target(params.device))
    try:
        varbinds = await session.get([parse_oid(oid) for oid in params.oids])
    except SnmpError as exc:
        raise ActionFailed(f"{params.device}: SNMP GET failed ({exc.reason}): {exc}") from exc
    finally:
        await session.close()
    output = {"device": params.device, "values": [varbind_dict(vb) for vb in varbinds]}
    text = "\n".join(varbind_line(vb) for vb in varbinds)
    return ActionResult(output, f"SNMP GET {params.device}\n{text}\n")
