"""Which commands each platform runs and where each parsed result goes: the registry.

Adding a platform is a parser module plus one entry here (see docs/ssh.md). Keys are netmiko
device_types, as the inventory's ``ssh.platform`` names them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from netwarden.agent.ssh.collected import DeviceFacts, HostState, InterfaceState, VersionInfo
from netwarden.agent.ssh.parsers import cisco_ios, hp_comware, huawei, linux

Apply = Callable[[DeviceFacts, str], None]  # parse one command's output into the facts


@dataclass(frozen=True, slots=True)
class Step:
    """One command and what to do with its output (raises ParseError naming the command)."""

    command: str
    apply: Apply


@dataclass(frozen=True, slots=True)
class PlatformPlan:
    """The commands of one collection, sent in order in one session."""

    steps: tuple[Step, ...]
    host: bool = False  # a Linux host (HostState) rather than a network device


def _interfaces(parse: Callable[[str], list[InterfaceState]]) -> Apply:
    def apply(facts: DeviceFacts, output: str) -> None:
        facts.interfaces = parse(output)

    return apply


def _version(parse: Callable[[str], VersionInfo]) -> Apply:
    def apply(facts: DeviceFacts, output: str) -> None:
        facts.version = parse(output)

    return apply


def _serial(parse: Callable[[str], str]) -> Apply:
    def apply(facts: DeviceFacts, output: str) -> None:
        facts.serial = parse(output)

    return apply


def with_serial(facts: DeviceFacts) -> VersionInfo | None:
    """The version, with the serial a separate command read (VRP, Comware) filled in."""
    if facts.version is None or facts.version.serial or not facts.serial:
        return facts.version
    return replace(facts.version, serial=facts.serial)


def _host(facts: DeviceFacts) -> HostState:
    if facts.host is None:
        facts.host = HostState()
    return facts.host


def _df(facts: DeviceFacts, output: str) -> None:
    _host(facts).filesystems = linux.parse_df(output)


def _load(facts: DeviceFacts, output: str) -> None:
    _host(facts).load = linux.parse_loadavg(output)


def _memory(facts: DeviceFacts, output: str) -> None:
    _host(facts).memory = linux.parse_meminfo(output)


def _units(facts: DeviceFacts, output: str) -> None:
    units = linux.parse_failed_units(output)
    host = _host(facts)
    host.systemd_available = units is not None
    host.failed_units = units


def _network(interfaces: Step, version: Step, *more: Step) -> PlatformPlan:
    return PlatformPlan((interfaces, version, *more))


PLANS: Mapping[str, PlatformPlan] = MappingProxyType({
    "cisco_ios": _network(
        Step(cisco_ios.SHOW_INTERFACES, _interfaces(cisco_ios.parse_interfaces)),
        Step(cisco_ios.SHOW_VERSION, _version(cisco_ios.parse_version)),
    ),
    "huawei": _network(
        Step(huawei.DISPLAY_INTERFACE, _interfaces(huawei.parse_interfaces)),
        Step(huawei.DISPLAY_VERSION, _version(huawei.parse_version)),
        Step(huawei.DISPLAY_ESN, _serial(huawei.parse_esn)),
    ),
    "hp_comware": _network(
        Step(hp_comware.DISPLAY_INTERFACE, _interfaces(hp_comware.parse_interfaces)),
        Step(hp_comware.DISPLAY_VERSION, _version(hp_comware.parse_version)),
        Step(hp_comware.DISPLAY_MANUINFO, _serial(hp_comware.parse_manuinfo)),
    ),
    "linux": PlatformPlan(
        (Step(linux.DF, _df), Step(linux.LOADAVG, _load), Step(linux.MEMINFO, _memory),
         Step(linux.SYSTEMCTL, _units)),
        host=True,
    ),
})  # fmt: skip
"""The built-in plans; an unknown platform gets an ``unsupported platform`` result."""
