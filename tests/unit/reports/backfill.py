"""A real Prometheus (Debian's 2.42) on 127.0.0.1 serving a month of history written by hand:
the series are turned into TSDB blocks with ``promtool tsdb create-blocks-from openmetrics``
and Prometheus is started on them. Exact timelines make exact expectations possible.

A series is a list of segments ``(start, end, value)``; time not covered by a segment has no
samples. Prometheus carries a sample forward for its lookback (5 min, inclusive), so samples
are written every 4 min, one exactly at each segment start, and a segment followed by a gap
ends with a sample 6 min before the gap: the gap's first instant then has no data.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

EVERY = 240  # s between samples (below the 5 min lookback)
LOOKBACK = 300


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    value: float


Timeline = Sequence[Segment]


def sample_times(segment: Segment, followed_by_gap: bool) -> list[int]:
    last = segment.end - LOOKBACK - 60 if followed_by_gap else segment.end - 1
    times = list(range(segment.start, last + 1, EVERY))
    if followed_by_gap and times and times[-1] != last:
        times.append(last)
    return times


def openmetrics(series: Mapping[str, tuple[str, Timeline]]) -> str:
    """``{selector: (type, timeline)}`` (selector: ``name{labels}``) as OpenMetrics text."""
    lines: list[str] = []
    typed: set[str] = set()
    for selector, (kind, timeline) in sorted(series.items()):
        name = selector.split("{", 1)[0]
        if name not in typed:
            lines.append(f"# TYPE {name} {kind}")
            typed.add(name)
        ordered = sorted(timeline, key=lambda s: s.start)
        for n, segment in enumerate(ordered):
            gap = n + 1 == len(ordered) or ordered[n + 1].start > segment.end
            lines += [f"{selector} {segment.value:g} {t}" for t in sample_times(segment, gap)]
    # Sorted by selector, so each family's samples follow its TYPE line, as OpenMetrics wants.
    return "\n".join([*lines, "# EOF"]) + "\n"


class BackfilledPrometheus:
    def __init__(self, folder: Path, series: Mapping[str, tuple[str, Timeline]]) -> None:
        self.folder = folder
        data = folder / "data"
        (folder / "input.om").write_text(openmetrics(series))
        promtool = shutil.which("promtool")
        assert promtool, "promtool is missing: run scripts/setup.sh (Debian package prometheus)"
        done = subprocess.run(
            [
                promtool,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "--quiet",
                str(folder / "input.om"),
                str(data),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        (folder / "prometheus.yml").write_text("global: {}\n")
        self.log = folder / "prometheus.log"
        argv = [
            "prometheus",
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=100y",
            "--web.listen-address=127.0.0.1:0",
        ]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        self.url = self._wait_ready(60)

    def _wait_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        url = ""
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            if not url:
                found = re.search(r'msg="Listening on" address=([\d.]+:\d+)', self.log.read_text())
                url = f"http://{found.group(1)}" if found else ""
            if url and _ready(url):
                return url
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"prometheus not ready in {timeout} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def up_except(
    start: int,
    end: int,
    down: Iterable[tuple[int, int]],
    value_down: float = 2,
    value_up: float = 1,
) -> list[Segment]:
    """Segments covering ``[start, end)``: ``value_up`` except ``down`` intervals."""
    segments, at = [], start
    for a, b in sorted(down):
        if a > at:
            segments.append(Segment(at, a, value_up))
        segments.append(Segment(max(a, at), b, value_down))
        at = b
    if at < end:
        segments.append(Segment(at, end, value_up))
    return segments


def within(segments: Iterable[Segment], spans: Iterable[tuple[int, int]]) -> list[Segment]:
    """``segments`` cut to ``spans`` (the time the history has data)."""
    return [
        Segment(max(s.start, a), min(s.end, b), s.value)
        for s in segments
        for a, b in spans
        if max(s.start, a) < min(s.end, b)
    ]


def without(segments: Iterable[Segment], gap: tuple[int, int]) -> list[Segment]:
    """``segments`` with no data in ``[gap)``."""
    out = []
    for s in segments:
        if s.start < gap[0]:
            out.append(Segment(s.start, min(s.end, gap[0]), s.value))
        if s.end > gap[1]:
            out.append(Segment(max(s.start, gap[1]), s.end, s.value))
    return out
