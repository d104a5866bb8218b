"""The catalogue of playbook actions: name, where it runs, whether it changes a device, params.

One table for both sides of a playbook: the agent validates a job's params with it before it
runs an action, and ``playbook check`` on the collector validates every step's ``args`` with it
statically (a template's value is unknown until the step runs: pass ``skip_input`` to ignore
the problems of such inputs). Pure: pydantic and the standard library, nothing that talks to a
device, so the collector imports it cheaply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from pydantic import ValidationError

from netwarden.agent.actions import params as p
from netwarden.agent.actions.fields import Params
from netwarden.errors import NetwardenError

RunsOn = Literal["agent", "collector"]
Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Action:
    """One action: ``runs_on`` the agent (a job) or the collector; ``changes_device`` says it
    needs an approval before it on every path; ``outputs`` are the top-level keys of its
    output (what later steps' templates may read)."""

    name: str
    runs_on: RunsOn
    changes_device: bool
    params: type[Params]
    summary: str
    outputs: tuple[str, ...]

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the action's params."""
        return self.params.model_json_schema()


# fmt: off
_ACTIONS = (
    Action("snmp_get", "agent", False, p.SnmpGetParams,
           "SNMP GET of a few OIDs on a device", ("device", "values")),
    Action("snmp_walk", "agent", False, p.SnmpWalkParams,
           "SNMP walk of a subtree of a device", ("device", "oid", "rows", "truncated")),
    Action("ping", "agent", False, p.PingParams,
           "ICMP echo series: loss, RTT and jitter",
           ("host", "sent", "received", "loss_ratio", "rtt", "jitter")),
    Action("tcp", "agent", False, p.TcpParams,
           "TCP connect to a port", ("host", "port", "connected", "connect_seconds", "reason")),
    Action("http", "agent", False, p.HttpParams,
           "HTTP(S) GET: status, phases, TLS days left",
           ("url", "success", "status", "phases", "tls_days_left", "reason")),
    Action("traceroute", "agent", False, p.TracerouteParams,
           "the routers on the path to a host (UDP probes, ICMP answers)",
           ("host", "address", "hops", "reached")),
    Action("ssh_command", "agent", False, p.SshCommandParams,
           "a read-only command from the platform's allow-list, over SSH",
           ("device", "platform", "command", "output")),
    Action("collect_config", "agent", False, p.CollectConfigParams,
           "back up the running configuration into the agent's config store",
           ("device", "status", "revision", "changed")),
    Action("config_diff", "agent", False, p.ConfigDiffParams,
           "the unified diff between two backups (the last change by default)",
           ("device", "from_rev", "to_rev", "from_time", "to_time", "diff")),
    Action("set_interface_admin", "agent", True, p.SetInterfaceAdminParams,
           "shut or no shut an interface (netmiko)",
           ("device", "interface", "state", "before", "after")),
    Action("wait_until", "agent", False, p.WaitUntilParams,
           "poll an SNMP or probe condition until it holds or the timeout",
           ("met", "after_seconds", "checks", "last")),
    Action("approval", "collector", False, p.ApprovalParams,
           "wait for a responder or admin to approve", ("approved", "by", "at", "reason")),
    Action("notify", "collector", False, p.NotifyParams,
           "send a message to a webhook or an e-mail address", ("sent", "to")),
    Action("report", "collector", False, p.ReportParams,
           "draft a report of the incident", ("form", "format", "evidence")),
    Action("events", "collector", False, p.EventsParams,
           "the device's traps and syslog lines the collector stored (the newest)",
           ("device", "since", "count", "events", "truncated")),
)
# fmt: on

CATALOGUE: Mapping[str, Action] = MappingProxyType({a.name: a for a in _ACTIONS})
"""Every action by name."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an action's params: where (keys and list indexes) and what."""

    location: Location
    message: str

    def __str__(self) -> str:
        where = ".".join(str(part) for part in self.location)
        return f"{where}: {self.message}" if where else self.message


class ActionError(NetwardenError):
    """An unknown action, or params an action does not take; ``problems`` lists them all."""

    def __init__(self, action: str, problems: list[Problem]) -> None:
        self.action, self.problems = action, problems
        super().__init__(f"{action}: " + "; ".join(str(problem) for problem in problems))


def action(name: str) -> Action:
    """The action called ``name``; :class:`ActionError` naming the known ones otherwise."""
    found = CATALOGUE.get(name)
    if found is None:
        known = ", ".join(sorted(CATALOGUE))
        raise ActionError(name, [Problem((), f"unknown action; the actions are {known}")])
    return found


def validate(
    name: str, params: object, *, skip_input: Callable[[object], bool] | None = None
) -> Params | None:
    """The params of action ``name`` as its model; :class:`ActionError` with every problem.

    With ``skip_input``, a problem whose offending input it accepts (a template, statically)
    is left out; the result is then None when problems were left out, since no model exists.
    """
    spec = action(name)
    try:
        return spec.params.model_validate(params)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors() if _kept(error, skip_input)]
        if problems:
            raise ActionError(name, problems) from None
        return None


def _kept(error: Any, skip_input: Callable[[object], bool] | None) -> bool:
    return skip_input is None or error["type"] == "missing" or not skip_input(error["input"])


def _problem(error: Any) -> Problem:
    location: Location = tuple(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return Problem(location, "is required")
    if kind == "extra_forbidden":
        return Problem(location, "is not a parameter of this action")
    if kind in ("model_type", "dict_type"):
        return Problem(location, "must be a mapping of parameters")
    message = str(error["msg"])
    # pydantic prefixes its rule errors; what follows reads as a sentence on its own.
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return Problem(location, message[:1].lower() + message[1:])
