"""CPU and memory of a process we started, read from /proc (Linux), so every tool is
measured the same way whether it is Go, C or Python."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` (all its threads) so far, from /proc/PID/stat."""
    raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICK


def status_kib(pid: int, key: str) -> int:
    """A ``kB`` figure of /proc/PID/status, e.g. ``VmHWM`` (peak RSS) or ``VmRSS``."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        name, _, value = line.partition(":")
        if name == key:
            return int(value.split()[0])
    raise KeyError(f"/proc/{pid}/status has no {key}")


def peak_rss_mib(pid: int) -> float:
    """Peak resident set size (VmHWM) of ``pid`` in MiB."""
    return status_kib(pid, "VmHWM") / 1024


def rss_mib(pid: int) -> float:
    """Current resident set size (VmRSS) of ``pid`` in MiB."""
    return status_kib(pid, "VmRSS") / 1024


@dataclass(frozen=True)
class Run:
    """One measured repetition of one tool in one scenario."""

    cpu: float  # seconds of CPU (user + system) the tool spent
    wall: float  # seconds from the first request to the last answer
    units: int  # devices polled (or walks done) in this repetition
    items: int  # varbinds (or scrape samples) seen, to check every tool did the same work
    failed: int = 0  # devices that did not answer completely


@dataclass(frozen=True)
class Result:
    """The median of the measured repetitions of one tool, plus its peak RSS."""

    tool: str
    runs: tuple[Run, ...]
    peak_rss: float | None  # MiB; None when it means nothing (many short processes)
    note: str = ""
    error: str = ""
    steady_rss: float | None = None  # MiB, VmRSS after the last repetition (long-lived tools)

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.runs)

    def median(self, attr: str) -> float:
        return statistics.median(float(getattr(r, attr)) for r in self.runs)

    @property
    def throughput(self) -> float:
        """Devices (or walks) per wall second, from the median repetition's figures."""
        wall = self.median("wall")
        return self.median("units") / wall if wall > 0 else 0.0


def failed_result(tool: str, error: str) -> Result:
    """A tool that could not be measured: the table says why instead of a number."""
    return Result(tool=tool, runs=(), peak_rss=None, error=error)


def summarize(
    tool: str,
    runs: Sequence[Run],
    peak_rss: float | None,
    note: str = "",
    steady_rss: float | None = None,
) -> Result:
    """Bundle the repetitions; a repetition with failed devices is an error, not a figure."""
    bad = [r for r in runs if r.failed]
    error = f"{bad[0].failed} device(s) failed" if bad else ""
    return Result(tool, tuple(runs), peak_rss, note, error, steady_rss)
