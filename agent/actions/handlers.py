"""The agent's actions as job handlers: params checked against the catalogue, the action run
within its own time bound, its result or failure turned into a :class:`JobOutcome`.

A new agent action is a module with ``async def run(params, ctx) -> ActionResult``, its params
model and catalogue line, and one line in :data:`RUNNERS`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any

from netwarden.agent.actions import (
    collect_config,
    config_diff,
    http,
    ping,
    set_interface_admin,
    snmp_get,
    snmp_walk,
    ssh_command,
    tcp,
    traceroute,
    wait_until,
)
from netwarden.agent.actions.catalogue import CATALOGUE, ActionError, validate
from netwarden.agent.actions.context import ActionContext, ActionFailed
from netwarden.agent.actions.result import ActionResult
from netwarden.agent.sync.jobs import JobHandler, JobOutcome

log = logging.getLogger(__name__)

Runner = Callable[[Any, ActionContext], Awaitable[ActionResult]]

RUNNERS: Mapping[str, Runner] = MappingProxyType({
    "snmp_get": snmp_get.run,
    "snmp_walk": snmp_walk.run,
    "ping": ping.run,
    "tcp": tcp.run,
    "http": http.run,
    "traceroute": traceroute.run,
    "ssh_command": ssh_command.run,
    "collect_config": collect_config.run,
    "config_diff": config_diff.run,
    "set_interface_admin": set_interface_admin.run,
    "wait_until": wait_until.run,
})  # fmt: skip
"""Every agent action of the catalogue, by name."""


def handler(name: str, run: Runner, ctx: ActionContext) -> JobHandler:
    """The job handler of action ``name``."""

    async def handle(params: dict[str, Any]) -> JobOutcome:
        try:
            model = validate(name, params)
        except ActionError as exc:
            return JobOutcome(False, error=str(exc))
        assert model is not None  # only a static check (skip_input) yields None
        limit = model.max_seconds()
        try:
            async with asyncio.timeout(limit):
                result = await run(model, ctx)
        except TimeoutError:
            return JobOutcome(False, error=f"{name}: no result within {limit:g} s")
        except ActionFailed as exc:
            return JobOutcome(False, exc.output, exc.text, str(exc))
        return JobOutcome(True, result.output, result.text)

    return handle


def action_handlers(ctx: ActionContext) -> dict[str, JobHandler]:
    """A handler for every agent action, all running with ``ctx``."""
    assert set(RUNNERS) == {n for n, a in CATALOGUE.items() if a.runs_on == "agent"}
    return {name: handler(name, run, ctx) for name, run in RUNNERS.items()}
