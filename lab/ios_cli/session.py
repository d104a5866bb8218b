"""The command loop: IOS modes, prompts and the actions behind each command.

Everything the session touches from outside (the channel, the interface reader, the link
controller, the enable secret) is injected, so tests drive it with fakes and no namespace.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

from netwarden.errors import LabError, NetwardenError
from netwarden.lab.ios_cli import filters, render, render_routing
from netwarden.lab.ios_cli.control import LinkControl
from netwarden.lab.ios_cli.grammar import (
    Ambiguous,
    Arg,
    Command,
    Incomplete,
    Invalid,
    Match,
    parse,
)
from netwarden.lab.ios_cli.model import DeviceSnapshot, InterfaceState
from netwarden.lab.ios_cli.routing import RoutingSource
from netwarden.lab.ios_cli.terminal import Terminal


class Mode(Enum):
    """IOS command modes, valued by their prompt suffix."""

    USER = ">"
    PRIVILEGED = "#"
    CONFIG = "(config)#"
    CONFIG_IF = "(config-if)#"


class SnapshotReader(Protocol):
    """Source of the device's live interface state."""

    def snapshot(self) -> DeviceSnapshot:
        """Read the state now."""


_EXEC = (
    Command(("enable",), "enable"),
    Command(("disable",), "disable"),
    Command(("terminal", "length"), "ignore", Arg.NUMBER),
    Command(("terminal", "width"), "ignore", Arg.NUMBER),
    Command(("show", "version"), "show_version"),
    Command(("show", "interfaces"), "show_interfaces", Arg.OPTIONAL_WORD),
    Command(("show", "ip", "interface", "brief"), "show_ip_brief"),
    Command(("show", "ip", "route"), "show_ip_route", Arg.OPTIONAL_WORD),
    Command(("show", "ip", "arp"), "show_ip_arp"),
    Command(("show", "arp"), "show_ip_arp"),
    Command(("show", "clock"), "show_clock"),
    Command(("exit",), "close"),
    Command(("quit",), "close"),
    Command(("logout",), "close"),
)
_PRIVILEGED = (
    *_EXEC,
    Command(("show", "running-config"), "show_running_config"),
    Command(("configure", "terminal"), "configure"),
)
_CONFIG_ANY = (
    Command(("interface",), "interface", Arg.WORD),
    Command(("end",), "end"),
    Command(("do",), "do", Arg.TEXT),
)
GRAMMARS: dict[Mode, tuple[Command, ...]] = {
    Mode.USER: _EXEC,
    Mode.PRIVILEGED: _PRIVILEGED,
    Mode.CONFIG: (*_CONFIG_ANY, Command(("exit",), "end")),
    Mode.CONFIG_IF: (
        *_CONFIG_ANY,
        Command(("exit",), "leave_interface"),
        Command(("description",), "description", Arg.TEXT),
        Command(("no", "description"), "no_description"),
        Command(("shutdown",), "shutdown"),
        Command(("no", "shutdown"), "no_shutdown"),
    ),
}
# `do` runs exec commands from config mode; only the read-only ones, so it cannot change mode.
_DO = tuple(c for c in _PRIVILEGED if c.words[0] in {"show", "terminal"})
INVALID_INPUT = "% Invalid input detected at '^' marker."


class _Captured:
    """A terminal that keeps what is written (to filter it); input still comes from the real
    one."""

    def __init__(self, terminal: Terminal) -> None:
        self._terminal = terminal
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def readline(self) -> str | None:
        return self._terminal.readline()

    def read_secret(self, prompt: str) -> str | None:
        return self._terminal.read_secret(prompt)


class Session:
    """One CLI session on one device."""

    def __init__(
        self,
        hostname: str,
        terminal: Terminal,
        reader: SnapshotReader,
        control: LinkControl,
        enable_secret: Callable[[], str | None],
        *,
        routing: RoutingSource | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.hostname = hostname
        self.mode = Mode.USER
        self.interface: str | None = None
        self.closed = False
        self._term = terminal
        self._reader = reader
        self._control = control
        self._enable_secret = enable_secret
        self._routing = routing
        self._clock = clock
        # `description` lives for the session only: the control socket has no alias operation.
        self._descriptions: dict[str, str] = {}

    @property
    def prompt(self) -> str:
        return f"{self.hostname}{self.mode.value}"

    def run(self) -> None:
        """Prompt, read, execute until ``exit`` or the channel closes."""
        while not self.closed:
            self._term.write(self.prompt)
            line = self._term.readline()
            if line is None:
                return
            self.execute(line)

    def execute(self, line: str) -> None:
        """Run one input line in the current mode (exec modes take an output filter)."""
        if self.mode in (Mode.USER, Mode.PRIVILEGED):
            self._filtered(line, GRAMMARS[self.mode], 0)
        else:
            self._execute(line, GRAMMARS[self.mode], 0)

    def _filtered(self, line: str, grammar: tuple[Command, ...], column: int) -> None:
        """Run ``line``, passing its output through a ``| include ...`` filter if it has one."""
        command, found = filters.split(line)
        if found is None:
            self._execute(line, grammar, column)
            return
        if isinstance(found, filters.FilterError):
            if found.message:
                self._term.write(f"{found.message}\n\n")
            else:
                self._invalid(column + found.column)
            return
        terminal = self._term
        captured = _Captured(terminal)
        self._term = captured
        try:
            self._execute(command, grammar, column)
        finally:
            self._term = terminal
        terminal.write(found.apply(captured.text))

    def _execute(self, line: str, grammar: tuple[Command, ...], column: int) -> None:
        result = parse(line, grammar)
        if result is None:
            return
        if isinstance(result, Invalid):
            self._invalid(column + result.column)
        elif isinstance(result, Ambiguous):
            self._term.write(f'% Ambiguous command:  "{line.strip()}"\n')
        elif isinstance(result, Incomplete):
            self._term.write("% Incomplete command.\n\n")
        else:
            shifted = replace(result, arg_column=column + result.arg_column)
            try:
                _ACTIONS[result.command.action](self, shifted)
            except NetwardenError as exc:
                self._term.write(f"% {exc}\n")

    def _invalid(self, column: int) -> None:
        self._term.write(" " * (len(self.prompt) + column) + f"^\n{INVALID_INPUT}\n\n")

    def _interfaces(self) -> tuple[InterfaceState, ...]:
        return self._apply_descriptions(self._reader.snapshot().interfaces)

    def _apply_descriptions(
        self, interfaces: tuple[InterfaceState, ...]
    ) -> tuple[InterfaceState, ...]:
        return tuple(
            replace(i, description=self._descriptions[i.name])
            if i.name in self._descriptions
            else i
            for i in interfaces
        )

    # --- actions: one per Command.action, looked up in _ACTIONS --------------------------------

    def _enable(self, _: Match) -> None:
        if self.mode is not Mode.USER:
            return
        secret = self._enable_secret()
        if not secret:
            self._term.write("% No password set\n\n")
            return
        typed = self._term.read_secret("Password: ")
        if typed is None:
            self.closed = True
        elif hmac.compare_digest(typed.encode(), secret.encode()):
            self.mode = Mode.PRIVILEGED
        else:
            self._term.write("% Access denied\n\n")

    def _disable(self, _: Match) -> None:
        self.mode = Mode.USER

    def _ignore(self, _: Match) -> None:
        """Accepted and without effect (terminal length/width: we never page or wrap)."""

    def _show_version(self, _: Match) -> None:
        snapshot = self._reader.snapshot()
        self._term.write(render.show_version(self.hostname, snapshot))

    def _show_interfaces(self, match: Match) -> None:
        interfaces = self._interfaces()
        if match.arg:
            interfaces = tuple(i for i in interfaces if i.name == match.arg)
            if not interfaces:
                self._invalid(match.arg_column)
                return
        self._term.write(render.show_interfaces(interfaces))

    def _show_ip_brief(self, _: Match) -> None:
        self._term.write(render.show_ip_interface_brief(self._interfaces()))

    def _routing_source(self) -> RoutingSource:
        if self._routing is None:
            raise LabError("routing table not available")
        return self._routing

    def _show_ip_route(self, match: Match) -> None:
        routes = self._routing_source().routes()
        if not match.arg:
            self._term.write(render_routing.show_ip_route(routes, self._interfaces()))
            return
        try:
            ipaddress.IPv4Address(match.arg)
        except ValueError:
            self._invalid(match.arg_column)
            return
        self._term.write(render_routing.show_ip_route_for(match.arg, routes, self._interfaces()))

    def _show_ip_arp(self, _: Match) -> None:
        neighbours = self._routing_source().neighbours()
        self._term.write(render_routing.show_ip_arp(neighbours, self._interfaces()))

    def _show_clock(self, _: Match) -> None:
        self._term.write(render_routing.show_clock(self._clock()))

    def _show_running_config(self, _: Match) -> None:
        self._term.write(render.show_running_config(self.hostname, self._interfaces()))

    def _configure(self, _: Match) -> None:
        self.mode = Mode.CONFIG
        self._term.write("Enter configuration commands, one per line.  End with CNTL/Z.\n")

    def _interface(self, match: Match) -> None:
        names = {i.name for i in self._reader.snapshot().interfaces}
        if match.arg not in names:
            self._invalid(match.arg_column)
            return
        self.mode = Mode.CONFIG_IF
        self.interface = match.arg

    def _end(self, _: Match) -> None:
        self.mode = Mode.PRIVILEGED
        self.interface = None

    def _leave_interface(self, _: Match) -> None:
        self.mode = Mode.CONFIG
        self.interface = None

    def _do(self, match: Match) -> None:
        self._filtered(match.arg, _DO, match.arg_column)

    def _close(self, _: Match) -> None:
        self.closed = True

    def _description(self, match: Match) -> None:
        self._descriptions[self._current_interface()] = match.arg

    def _no_description(self, _: Match) -> None:
        self._descriptions[self._current_interface()] = ""

    def _shutdown(self, _: Match) -> None:
        self._control.set_link(self._current_interface(), up=False)

    def _no_shutdown(self, _: Match) -> None:
        self._control.set_link(self._current_interface(), up=True)

    def _current_interface(self) -> str:
        # Only reachable from CONFIG_IF, which is entered with an interface set.
        assert self.interface is not None
        return self.interface


_ACTIONS: dict[str, Callable[[Session, Match], None]] = {
    "enable": Session._enable,
    "disable": Session._disable,
    "ignore": Session._ignore,
    "show_version": Session._show_version,
    "show_interfaces": Session._show_interfaces,
    "show_ip_brief": Session._show_ip_brief,
    "show_ip_route": Session._show_ip_route,
    "show_ip_arp": Session._show_ip_arp,
    "show_clock": Session._show_clock,
    "show_running_config": Session._show_running_config,
    "configure": Session._configure,
    "interface": Session._interface,
    "end": Session._end,
    "leave_interface": Session._leave_interface,
    "do": Session._do,
    "close": Session._close,
    "description": Session._description,
    "no_description": Session._no_description,
    "shutdown": Session._shutdown,
    "no_shutdown": Session._no_shutdown,
}
