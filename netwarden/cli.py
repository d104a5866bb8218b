"""The ``netwarden`` command: one Typer app, one sub-command group per subsystem.

Exit codes: 0 ok, 1 a problem was found (invalid inventory, failed device, lab error),
2 usage error. Errors are one readable line on stderr, never a traceback.

A group's module is imported only when that group runs (or shows its help): ``--version``
and ``netwarden --help`` import no subsystem at all, and ``netwarden lab --help`` never pays
for the collector's HTTP client or the inventory models. Each group's module keeps its own
top-level imports light for the same reason (tests/unit/cli/test_start_up.py checks both).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

import typer
import typer.main

from netwarden.command_group import CommandGroup
from netwarden.errors import ConfigError, InventoryError, NetwardenError, UsageError


@dataclass(frozen=True)
class LazyGroup:
    """A sub-command loaded on demand: ``module.app`` (a Typer), and the one line of help the
    root's listing shows without importing it (a test keeps it equal to the group's own)."""

    module: str
    help: str
    command: bool = False  # a single command (``poll``), not a group of them


def _add_discover(app: typer.Typer) -> None:
    # discover belongs to the inventory group but lives in discovery/ (it uses the agent).
    from netwarden.discovery.discover_command import discover_command

    if all(c.name != "discover" for c in app.registered_commands):
        app.command("discover")(discover_command)


GROUPS: Final[dict[str, LazyGroup]] = {
    "inventory": LazyGroup("netwarden.inventory.inventory_commands",
                           "Check and show a province inventory."),
    "lab": LazyGroup("netwarden.lab.lab_commands",
                     "Build and change the namespace lab (needs root)."),
    "agent": LazyGroup("netwarden.agent.agent_commands",
                       "Run the agent that polls an agency's devices."),
    "config": LazyGroup("netwarden.agent.configs.config_commands",
                        "Back up device configurations into a git store and show their changes."),
    "collector": LazyGroup("netwarden.collector.collector_commands",
                           "Run and administer the collector agents connect to."),
    "fleet": LazyGroup("netwarden.collector.fleet_commands",
                       "See and manage the agent fleet through the collector."),
    "incident": LazyGroup("netwarden.collector.incident_commands",
                          "The incident record: alerts from Alertmanager, timeline, evidence, "
                          "maintenance."),
    "playbook": LazyGroup("netwarden.collector.playbook_commands",
                          "Incident-response playbooks: check files, start runs, follow them, "
                          "approve steps."),
    "events": LazyGroup("netwarden.collector.event_commands",
                        "Traps and syslog events the agents received."),
    "alerting": LazyGroup("netwarden.alerting.alerting_commands",
                          "Alert rules and the Alertmanager configuration (docs/alerting.md)."),
    "report": LazyGroup("netwarden.reports.report_commands",
                        "Reports: the monthly availability of links and agencies."),
    "poll": LazyGroup("netwarden.agent.poll_command",
                      "Poll one device once and print what the agent sees (exit 1 if it did "
                      "not answer).", command=True),
}  # fmt: skip
EXTEND: Final[dict[str, Callable[[typer.Typer], None]]] = {"inventory": _add_discover}


def load_group(name: str) -> Any:
    """The Click command of group ``name``, its module imported now."""
    app: typer.Typer = importlib.import_module(GROUPS[name].module).app
    if name in EXTEND:
        EXTEND[name](app)
    # get_group even for a group of one command (``report``): get_command would make the
    # group that command, and `netwarden report availability` would stop working.
    command = typer.main.get_command(app) if GROUPS[name].command else typer.main.get_group(app)
    command.name = name
    return command


class _Commands(MutableMapping[str, Any]):
    """The root's commands: every name is known at once, a group is loaded on first lookup."""

    def __init__(self, eager: MutableMapping[str, Any]) -> None:
        self._loaded = dict(eager)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in GROUPS:
                raise KeyError(name)
            self._loaded[name] = load_group(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*GROUPS, *self._loaded]))

    def __len__(self) -> int:
        return len(set(GROUPS) | set(self._loaded))


class RootGroup(CommandGroup):
    """The root command: its groups load on demand (see the module docstring)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(self.commands)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # names only: listing must not load the groups

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # The static one-line help of each group: `netwarden --help` imports none of them.
        rows = [(name, GROUPS[name].help) for name in GROUPS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="netwarden",
    help="Monitor a province's e-government network: inventory, lab, agents, collector.",
    cls=RootGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        from netwarden import __version__

        typer.echo(f"netwarden {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """netwarden: network and infrastructure monitoring for a province."""


def one_line(message: object) -> str:
    """``message`` on one line: a library's text with line breaks (tarfile lists every method
    it tried, one per line) is joined with "; " rather than spread over the terminal."""
    return "; ".join(part.strip() for part in str(message).splitlines() if part.strip())


def main() -> None:
    """Console-script entry point: map netwarden errors to one line and an exit code."""
    try:
        app(standalone_mode=True)
    except (InventoryError, ConfigError) as exc:
        # Every command that reads an inventory (or a configuration file) reports its problems
        # the way `inventory check` does.
        sys.stderr.write("".join(f"{problem}\n" for problem in exc.problems))
        sys.stderr.write(f"netwarden: error: {exc}\n")
        sys.exit(1)
    except NetwardenError as exc:
        # Config files other than the inventory (reporting.yaml) carry their problems too.
        problems = getattr(exc, "problems", [])
        sys.stderr.write("".join(f"{problem}\n" for problem in problems))
        sys.stderr.write(f"netwarden: error: {one_line(exc)}\n")
        sys.exit(2 if isinstance(exc, UsageError) else 1)
