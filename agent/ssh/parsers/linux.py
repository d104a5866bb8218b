"""Linux hosts (netmiko ``linux``): filesystems, load, memory and failed systemd units.

Plain parsing: these are kernel and coreutils formats, stable for decades, and simpler to read
as columns than through a template.
"""

from __future__ import annotations

import re

from netwarden.agent.ssh.collected import Filesystem, Load, Memory, ParseError

DF = "df -P -T -B1"
LOADAVG = "cat /proc/loadavg"
MEMINFO = "cat /proc/meminfo"
SYSTEMCTL = "systemctl list-units --state=failed --no-legend --plain"

# What systemctl prints where systemd is not PID 1 (containers, namespaces, SysV hosts): the
# host simply has no units to report, which is not a parse error.
_NO_SYSTEMD = (
    "System has not been booted with systemd",
    "Failed to connect to bus",
    "systemctl: command not found",
    "systemctl: not found",
)
_UNIT = re.compile(r"^[●*]?\s*(\S+\.[a-z]+)\s+\S+\s+\S+\s+\S+(?:\s+.*)?$")
_MEMINFO = re.compile(r"^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?\s*$")


def parse_df(output: str) -> list[Filesystem]:
    """``df -P -T -B1``: one row per mounted filesystem, sizes in bytes."""
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("Filesystem"):
        raise ParseError(DF, "no df header line")
    found: list[Filesystem] = []
    for line in lines[1:]:
        # POSIX output has 7 columns; only the mount point (the last) may contain spaces
        parts = line.split(None, 6)
        if len(parts) != 7 or not all(p.isdigit() for p in parts[2:5]):
            raise ParseError(DF, f"unexpected row: {line[:80]!r}")
        device, fstype, size, used, avail, _capacity, mountpoint = parts
        found.append(Filesystem(mountpoint, device, int(size), int(used), int(avail), fstype))
    if not found:
        raise ParseError(DF, "no filesystems listed")
    return found


def parse_loadavg(output: str) -> Load:
    """``/proc/loadavg``: ``0.52 0.58 0.59 1/467 12345``."""
    parts = output.split()
    try:
        return Load(float(parts[0]), float(parts[1]), float(parts[2]))
    except (IndexError, ValueError):
        raise ParseError(LOADAVG, f"unexpected content: {output.strip()[:80]!r}") from None


def parse_meminfo(output: str) -> Memory:
    """``/proc/meminfo`` (values in KiB) -> bytes; MemAvailable exists since Linux 3.14."""
    values: dict[str, int] = {}
    for line in output.splitlines():
        found = _MEMINFO.match(line.strip())
        if found is not None:
            values[found[1]] = int(found[2]) * 1024
    if "MemTotal" not in values or "MemAvailable" not in values:
        raise ParseError(MEMINFO, "no MemTotal or MemAvailable line")
    return Memory(
        total_bytes=values["MemTotal"],
        available_bytes=values["MemAvailable"],
        swap_total_bytes=values.get("SwapTotal"),
        swap_free_bytes=values.get("SwapFree"),
    )


def parse_failed_units(output: str) -> list[str] | None:
    """Failed unit names, ``[]`` when none, ``None`` when systemd is not running the host."""
    if any(marker in output for marker in _NO_SYSTEMD):
        return None
    units: list[str] = []
    for line in output.splitlines():
        if not line.strip():
            continue
        found = _UNIT.match(line.strip())
        if found is None:
            raise ParseError(SYSTEMCTL, f"unexpected line: {line.strip()[:80]!r}")
        units.append(found[1])
    return units
