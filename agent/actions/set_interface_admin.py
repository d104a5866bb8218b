"""``set_interface_admin``: shut or no shut one interface through netmiko (changes the device).

Only after an approval (``playbook check`` proves one precedes it on every path). The state is
read before and after over the same SSH pool: an interface already in the wanted state is left
alone (``changed: false``), and a change the device did not take is a failed step. The change
is made in the running configuration only, never saved: a reload undoes it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netwarden.agent.actions.context import ActionContext, ActionFailed
from netwarden.agent.actions.params import SetInterfaceAdminParams
from netwarden.agent.actions.result import ActionResult
from netwarden.agent.actions.ssh_command import device_error
from netwarden.agent.ssh.collected import InterfaceState, ParseError
from netwarden.agent.ssh.parsers import cisco_ios, hp_comware, huawei
from netwarden.agent.ssh.types import SshError, SshTarget

DEADLINE = 60.0  # seconds per session (login, enable, the commands)
_INTERFACE = re.compile(r"^[A-Za-z][A-Za-z0-9/.:_-]{0,63}$")


@dataclass(frozen=True)
class Dialect:
    """How a platform shows one interface and shuts or re-enables it."""

    show: str
    enable: str  # the command that brings an interface up ("no shutdown")
    parse: Callable[[str], list[InterfaceState]]


DIALECTS = {
    "cisco_ios": Dialect("show interfaces", "no shutdown", cisco_ios.parse_interfaces),
    "huawei": Dialect("display interface", "undo shutdown", huawei.parse_interfaces),
    "hp_comware": Dialect("display interface", "undo shutdown", hp_comware.parse_interfaces),
}


async def run(params: SetInterfaceAdminParams, ctx: ActionContext) -> ActionResult:
    target = ctx.ssh_target(params.device)
    dialect = DIALECTS.get(target.platform)
    if dialect is None:
        raise ActionFailed(
            f"set_interface_admin: platform {target.platform} of {params.device} is not "
            f"supported (only {', '.join(DIALECTS)})"
        )
    if not _INTERFACE.match(params.interface):
        raise ActionFailed(f"set_interface_admin: {params.interface!r} is not an interface name")
    before = await _state(ctx, target, dialect, params.interface)
    output: dict[str, Any] = {
        "device": params.device,
        "interface": params.interface,
        "state": params.state,
        "before": before,
        "after": before,
        "changed": False,
    }
    if before["admin"] == params.state:
        text = f"{params.device} {params.interface}: already admin {params.state}, left alone\n"
        return ActionResult(output, text)
    command = "shutdown" if params.state == "down" else dialect.enable
    lines = [f"interface {params.interface}", command]
    try:
        answer = await ctx.ssh.configure(target, lines, DEADLINE)
    except SshError as exc:
        # The session may have failed after the change: the state after is unknown.
        raise ActionFailed(f"{params.device}: configuration failed ({exc.reason}): {exc}") from exc
    problem = device_error(answer)
    if problem:
        raise ActionFailed(f"{params.device} refused {command!r}: {problem}", output)
    output["after"] = after = await _state(ctx, target, dialect, params.interface)
    output["changed"] = True
    text = (
        f"{params.device} {params.interface}: {command}\n"
        f"before: admin {before['admin']}, oper {before['oper']}\n"
        f"after:  admin {after['admin']}, oper {after['oper']}\n"
    )
    if after["admin"] != params.state:
        raise ActionFailed(
            f"{params.device} {params.interface} is still admin {after['admin']} after {command!r}",
            output,
            text,
        )
    return ActionResult(output, text)


async def _state(
    ctx: ActionContext, target: SshTarget, dialect: Dialect, interface: str
) -> dict[str, str]:
    """The interface's admin and oper state as the device's CLI reports them."""
    command = f"{dialect.show} {interface}"
    try:
        outputs = await ctx.ssh.run(target, [command], DEADLINE)
    except SshError as exc:
        raise ActionFailed(f"{target.device}: {command!r} failed ({exc.reason}): {exc}") from exc
    text = outputs.get(command, "")
    problem = device_error(text)
    if problem:
        raise ActionFailed(f"{target.device} has no interface {interface!r}: {problem}")
    try:
        # TextFSM parsing is CPU work (and its first import slow): off the event loop.
        found = await asyncio.to_thread(dialect.parse, text)
    except ParseError as exc:
        raise ActionFailed(f"{target.device}: cannot read {command!r}: {exc}") from exc
    mine = [i for i in found if i.name == interface] or found[:1]
    if not mine:
        raise ActionFailed(f"{target.device}: {command!r} shows no interface")
    state = mine[0]
    return {"admin": "up" if state.admin_up else "down", "oper": "up" if state.oper_up else "down"}
