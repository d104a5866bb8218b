"""One SSH collection of one device: run its platform's commands in one session, parse each.

A failed session is a result with a bounded reason; a command whose output does not parse is
counted under its name and the others are still used. Which commands and parsers a platform
gets is the registry in :mod:`netwarden.agent.ssh.plans`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from netwarden.agent.ssh.collected import (
    DeviceFacts,
    HostState,
    InterfaceState,
    ParseError,
    VersionInfo,
)
from netwarden.agent.ssh.plans import PlatformPlan, with_serial
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.types import SshError, SshTarget

UNSUPPORTED = "unsupported platform"


@dataclass
class SshCollection:
    """The outcome of one collection; ``reason`` is an SshReason value or ``unsupported``."""

    device: str
    platform: str
    success: bool
    duration: float
    reason: str = ""
    message: str = ""
    interfaces: list[InterfaceState] = field(default_factory=list)
    version: VersionInfo | None = None
    host: HostState | None = None
    parse_errors: dict[str, int] = field(default_factory=dict)  # command -> failed parses


async def collect(
    pool: SshPool, target: SshTarget, plan: PlatformPlan | None, *, deadline: float = 60.0
) -> SshCollection:
    """Collect ``target`` with ``plan`` (None: no plan for its platform) within ``deadline``."""
    if plan is None:
        return SshCollection(
            target.device,
            target.platform,
            False,
            0.0,
            "unsupported",
            f"{UNSUPPORTED}: {target.platform}",
        )
    started = time.monotonic()
    try:
        outputs = await pool.run(target, [step.command for step in plan.steps], deadline)
    except SshError as exc:
        return SshCollection(
            target.device,
            target.platform,
            False,
            time.monotonic() - started,
            exc.reason.value,
            str(exc),
        )
    facts = DeviceFacts(host=HostState() if plan.host else None)
    errors: dict[str, int] = {}
    messages: list[str] = []
    for step in plan.steps:
        try:
            step.apply(facts, outputs.get(step.command, ""))
        except ParseError as exc:
            errors[step.command] = errors.get(step.command, 0) + 1
            messages.append(str(exc))
    return SshCollection(
        device=target.device,
        platform=target.platform,
        success=True,
        duration=time.monotonic() - started,
        message="; ".join(messages),
        interfaces=facts.interfaces,
        version=with_serial(facts),
        host=facts.host,
        parse_errors=errors,
    )
