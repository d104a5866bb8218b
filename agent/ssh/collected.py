"""What one SSH collection learns about a device: plain dataclasses, no I/O.

Parsers return these; the metrics collector renders them. A field is ``None`` when the platform
does not report it (its series is then omitted, never exported as 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netwarden.errors import NetwardenError


class ParseError(NetwardenError):
    """A command's output could not be parsed; ``command`` names it (the metric's label)."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(f"{command}: {message}")
        self.command = command


@dataclass(frozen=True, slots=True)
class InterfaceState:
    """One interface as the device's CLI reports it; counters are the device's own totals."""

    name: str
    oper_up: bool
    admin_up: bool
    description: str = ""
    in_octets: int | None = None
    out_octets: int | None = None
    in_packets: int | None = None
    out_packets: int | None = None
    in_errors: int | None = None
    out_errors: int | None = None
    crc: int | None = None
    speed_bps: int | None = None


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """The software and hardware identity of a network device."""

    os_version: str
    model: str
    serial: str
    hostname: str
    uptime_seconds: int | None


@dataclass(frozen=True, slots=True)
class Filesystem:
    """One mounted filesystem, in bytes (``df -P -B1``)."""

    mountpoint: str
    device: str
    size_bytes: int
    used_bytes: int
    avail_bytes: int
    fstype: str


@dataclass(frozen=True, slots=True)
class Memory:
    """/proc/meminfo, in bytes; swap is ``None`` when the kernel reports no swap lines."""

    total_bytes: int
    available_bytes: int
    swap_total_bytes: int | None = None
    swap_free_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class Load:
    """/proc/loadavg: run-queue averages over 1, 5 and 15 minutes."""

    load1: float
    load5: float
    load15: float


@dataclass
class HostState:
    """A Linux host: what each command gave (``None``: that command failed or was not run).

    ``failed_units`` is ``None`` when systemd is not the init system (``systemd_available``
    False): no answer is not the same as "no failed unit".
    """

    filesystems: list[Filesystem] | None = None
    load: Load | None = None
    memory: Memory | None = None
    systemd_available: bool | None = None
    failed_units: list[str] | None = None


@dataclass
class DeviceFacts:
    """What a collection gathered, filled in command by command."""

    interfaces: list[InterfaceState] = field(default_factory=list)
    version: VersionInfo | None = None
    host: HostState | None = None
    serial: str = ""  # from a command of its own, where `version` does not print it
