"""The session state machine, driven through injected terminal, reader and link control."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import pytest

from netwarden.errors import LabError
from netwarden.lab.ios_cli.control import ControlError
from netwarden.lab.ios_cli.model import Address, Counters, DeviceSnapshot, InterfaceState
from netwarden.lab.ios_cli.session import GRAMMARS, INVALID_INPUT, Mode, Session

SECRET = "En@ble-42"


def _iface(name: str, ifindex: int, *, admin_up: bool = True) -> InterfaceState:
    return InterfaceState(
        name=name,
        ifindex=ifindex,
        kind="dummy",
        mac=f"02:00:00:00:00:{ifindex:02x}",
        mtu=1500,
        admin_up=admin_up,
        carrier=admin_up,
        speed_mbps=1000,
        full_duplex=True,
        addresses=(Address(f"198.18.0.{ifindex}", 24),),
        description="from kernel ifalias" if name == "wan0" else "",
        counters=Counters(rx_packets=ifindex * 10, tx_packets=ifindex * 20),
    )


class ScriptedTerminal:
    """Feeds lines in order and records everything written (the secret is not echoed)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = deque(lines)
        self.output = ""

    def write(self, text: str) -> None:
        self.output += text

    def readline(self) -> str | None:
        return self.lines.popleft() if self.lines else None

    def read_secret(self, prompt: str) -> str | None:
        self.write(prompt)
        line = self.readline()
        self.write("\n")
        return line


class FakeReader:
    def __init__(self) -> None:
        self.interfaces = (_iface("wan0", 2), _iface("lan0", 3, admin_up=False))
        self.error: LabError | None = None

    def snapshot(self) -> DeviceSnapshot:
        if self.error:
            raise self.error
        return DeviceSnapshot(uptime_seconds=600, machine="x86_64", interfaces=self.interfaces)


class FakeControl:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.error: ControlError | None = None

    def set_link(self, ifname: str, up: bool) -> None:
        self.calls.append((ifname, up))
        if self.error:
            raise self.error


class Rig:
    def __init__(self, secret: str | None = SECRET) -> None:
        self.reader = FakeReader()
        self.control = FakeControl()
        self.term = ScriptedTerminal([])
        self.session = Session("sw-test", self.term, self.reader, self.control, lambda: secret)

    def run(self, *lines: str) -> str:
        """Run lines to the end of input; return only the output they produced."""
        start = len(self.term.output)
        self.term.lines.extend(lines)
        self.session.run()
        return self.term.output[start:]

    def privileged(self) -> Rig:
        self.run("enable", SECRET)
        assert self.session.mode is Mode.PRIVILEGED
        return self

    def in_interface(self, name: str = "wan0") -> Rig:
        self.privileged().run("configure terminal", f"interface {name}")
        assert self.session.mode is Mode.CONFIG_IF
        return self


@pytest.fixture
def rig() -> Rig:
    return Rig()


def _invalid_at(prompt: str, column: int) -> str:
    return " " * (len(prompt) + column) + f"^\n{INVALID_INPUT}\n\n"


def test_prompts_follow_the_mode(rig: Rig) -> None:
    out = rig.run("enable", SECRET, "conf t", "int wan0", "exit", "int lan0", "end", "disable")

    assert out == (
        "sw-test>Password: \n"
        "sw-test#Enter configuration commands, one per line.  End with CNTL/Z.\n"
        "sw-test(config)#sw-test(config-if)#sw-test(config)#sw-test(config-if)#"
        "sw-test#sw-test>"
    )
    assert rig.session.mode is Mode.USER


def test_enable_with_the_right_secret_never_echoes_it(rig: Rig) -> None:
    out = rig.run("en", SECRET)

    assert rig.session.mode is Mode.PRIVILEGED
    assert SECRET not in out


def test_enable_with_a_wrong_secret_is_denied(rig: Rig) -> None:
    out = rig.run("enable", "guess")

    assert out == "sw-test>Password: \n% Access denied\n\nsw-test>"
    assert rig.session.mode is Mode.USER


def test_enable_without_a_configured_secret() -> None:
    rig = Rig(secret=None)

    assert "% No password set" in rig.run("enable")
    assert rig.session.mode is Mode.USER


def test_enable_when_privileged_asks_nothing(rig: Rig) -> None:
    assert rig.privileged().run("enable") == "sw-test#sw-test#"


def test_channel_closing_at_the_password_prompt_ends_the_session(rig: Rig) -> None:
    rig.run("enable")

    assert rig.session.closed


def test_running_config_is_privileged_only(rig: Rig) -> None:
    out = rig.run("show running-config")

    assert out == "sw-test>" + _invalid_at("sw-test>", 5) + "sw-test>"
    assert "hostname sw-test" in rig.privileged().run("sh run")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("sh ver", "sw-test uptime is 10 minutes"),
        ("sh int", "wan0 is up, line protocol is up"),
        ("sh int lan0", "lan0 is administratively down, line protocol is down"),
        ("sh ip int br", "lan0                   198.18.0.3      YES manual administratively"),
        ("sh run", " shutdown\n!\n"),
    ],
)
def test_show_abbreviations(rig: Rig, line: str, expected: str) -> None:
    assert expected in rig.privileged().run(line)


def test_show_interfaces_name_shows_only_that_interface(rig: Rig) -> None:
    out = rig.run("show interfaces wan0")

    assert "wan0 is up" in out
    assert "lan0" not in out


@pytest.mark.parametrize("line", ["term len 0", "terminal width 511", "terminal length 24"])
def test_terminal_settings_are_accepted_silently(rig: Rig, line: str) -> None:
    assert rig.run(line) == "sw-test>sw-test>"


@pytest.mark.parametrize(
    ("line", "column"),
    [("bogus", 0), ("show bogus", 5), ("sh int nope0", 7), ("terminal width 600", 15)],
)
def test_invalid_input_prints_the_caret_under_the_error(rig: Rig, line: str, column: int) -> None:
    assert rig.run(line) == "sw-test>" + _invalid_at("sw-test>", column) + "sw-test>"


def test_ambiguous_and_incomplete(rig: Rig) -> None:
    assert '% Ambiguous command:  "sh i"\n' in rig.run("sh i")
    assert "% Incomplete command.\n\n" in rig.run("show")


def test_interface_must_exist(rig: Rig) -> None:
    rig.privileged().run("conf t")

    out = rig.run("interface eth9")

    assert out == "sw-test(config)#" + _invalid_at("sw-test(config)#", 10) + "sw-test(config)#"
    assert rig.session.mode is Mode.CONFIG


@pytest.mark.parametrize(("line", "up"), [("shut", False), ("shutdown", False), ("no shut", True)])
def test_shutdown_drives_the_link_control(rig: Rig, line: str, up: bool) -> None:
    out = rig.in_interface("lan0").run(line)

    assert rig.control.calls == [("lan0", up)]
    assert out == "sw-test(config-if)#sw-test(config-if)#"


def test_failed_link_change_is_reported_and_the_session_goes_on(rig: Rig) -> None:
    rig.control.error = ControlError("device control unavailable: No such file or directory")

    out = rig.in_interface().run("shutdown", "end")

    assert "% device control unavailable: No such file or directory\n" in out
    assert rig.session.mode is Mode.PRIVILEGED


def test_reader_failure_is_reported(rig: Rig) -> None:
    rig.reader.error = LabError("ip -j addr show failed: boom")

    assert "% ip -j addr show failed: boom\n" in rig.run("show version")


def test_description_lives_for_the_session(rig: Rig) -> None:
    rig.in_interface("lan0").run("description Cổng LAN tầng 2", "do show interfaces lan0")

    assert "  Description: Cổng LAN tầng 2\n" in rig.term.output
    assert " description Cổng LAN tầng 2\n" in rig.run("end", "show running-config")


def test_no_description_hides_the_kernel_alias(rig: Rig) -> None:
    assert "Description: from kernel ifalias" in rig.run("show interfaces wan0")

    rig.in_interface("wan0").run("no description", "end")

    assert "Description:" not in rig.run("show interfaces wan0")


def test_do_runs_read_only_exec_commands_from_config_mode(rig: Rig) -> None:
    rig.privileged().run("conf t")

    assert "Interface              IP-Address" in rig.run("do sh ip int br")
    assert _invalid_at("sw-test(config)#", 3) in rig.run("do configure terminal")
    assert rig.session.mode is Mode.CONFIG


@pytest.mark.parametrize("word", ["exit", "quit", "logout"])
def test_exit_closes_the_session_and_stops_reading(rig: Rig, word: str) -> None:
    out = rig.run(word, "show version")

    assert out == "sw-test>"
    assert rig.session.closed
    assert list(rig.term.lines) == ["show version"]


def test_end_of_input_ends_the_session(rig: Rig) -> None:
    assert rig.run() == "sw-test>"


@pytest.mark.parametrize("mode", list(Mode))
def test_no_command_is_a_prefix_of_another(mode: Mode) -> None:
    # The parser takes a command as soon as its keywords run out; a longer one would be shadowed.
    words = [c.words for c in GRAMMARS[mode]]
    for short in words:
        assert not [w for w in words if w != short and w[: len(short)] == short], short
