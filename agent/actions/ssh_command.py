"""``ssh_command``: one read-only command from the platform's allow-list, over the agent's SSH
pool (one session per device at a time, shared with collection and config backup).

A command off the allow-list is refused before any session opens. A device that answers with
its own error line (``% Invalid input``, ``Error:``) is a failed step, with the answer kept.
"""

from __future__ import annotations

from netwarden.agent.actions import allow_list
from netwarden.agent.actions.context import ActionContext, ActionFailed
from netwarden.agent.actions.params import SshCommandParams
from netwarden.agent.actions.result import ActionResult
from netwarden.agent.ssh.types import SshError

DEADLINE = 60.0  # seconds for the session: login, enable, the command


def device_error(output: str) -> str:
    """The device's error line if it refused the command (IOS ``%``, VRP/Comware
    ``Error:``), else ""."""
    for line in output.splitlines()[:5]:
        stripped = line.strip()
        if stripped.startswith(("% Invalid", "% Incomplete", "% Ambiguous", "% Unknown")):
            return stripped
        if stripped.startswith("Error:"):
            return stripped
    return ""


async def run(params: SshCommandParams, ctx: ActionContext) -> ActionResult:
    target = ctx.ssh_target(params.device)
    try:
        command = allow_list.check(target.platform, params.command)
    except allow_list.Refused as exc:
        raise ActionFailed(f"ssh_command refused: {exc}") from exc
    try:
        outputs = await ctx.ssh.run(target, [command], DEADLINE)
    except SshError as exc:
        raise ActionFailed(f"ssh_command on {params.device} failed ({exc.reason}): {exc}") from exc
    text = outputs.get(command, "")
    output = {
        "device": params.device,
        "platform": target.platform,
        "command": command,
        "output": text,
    }
    rendered = f"{params.device}# {command}\n{text}" + ("" if text.endswith("\n") else "\n")
    problem = device_error(text)
    if problem:
        raise ActionFailed(f"{params.device} refused {command!r}: {problem}", output, rendered)
    return ActionResult(output, rendered)
