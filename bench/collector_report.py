"""The collector benchmark's figures: one row per route, the machine's share, the target."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.collector_histogram import Buckets, server_quantiles
from bench.collector_load import Recorder

TARGET_P99 = 0.100  # s, the target for every agent request
LONG_POLL = "jobs (long-poll)"
SETUP = "enroll (setup)"
WINDOW = 10.0  # s: the p99 of the agents' requests is also shown per window of the run
ROUTE_ORDER = ("heartbeat", "assignment", "results", LONG_POLL, SETUP)


@dataclass(frozen=True)
class RouteFigures:
    route: str
    requests: int
    p50: float | None
    p99: float | None
    max: float | None
    errors: int
    rate: float  # requests per second of the load phase
    # Upper bounds of the same quantiles inside the collector app (its own histogram).
    app_p50: float | None = None
    app_p99: float | None = None


@dataclass(frozen=True)
class Usage:
    """What the run cost: the collector's CPU and memory, the load generator's CPU."""

    wall: float
    collector_cpu: float
    collector_rss: float
    collector_peak_rss: float
    loadgen_cpu: float
    db_cpu: float | None = None  # the PostgreSQL server's processes (SQLite is in the collector)


@dataclass(frozen=True)
class Report:
    db: str
    agents: int
    routes: list[RouteFigures]
    usage: Usage
    error_samples: list[str]
    windows: list[tuple[float, int, float | None]]  # (start s, requests, p99) per WINDOW

    @property
    def target_routes(self) -> list[RouteFigures]:
        """The routes the p99 target is about: the long-poll is held on purpose, enrolment is
        set-up, so neither is an agent request's latency."""
        return [r for r in self.routes if r.route not in (LONG_POLL, SETUP)]

    @property
    def worst_p99(self) -> float | None:
        values = [r.p99 for r in self.target_routes if r.p99 is not None]
        return max(values) if values else None

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.routes)

    @property
    def met(self) -> bool:
        worst = self.worst_p99
        return worst is not None and worst < TARGET_P99 and self.errors == 0


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def build(db: str, agents: int, rec: Recorder, usage: Usage, server: Buckets) -> Report:
    """The report of one run: the agents' latencies by route next to the collector's own."""
    wall = usage.wall
    routes = []
    names = [r for r in ROUTE_ORDER if r in rec.latencies or r in rec.errors]
    for name in names:
        lat = rec.latencies.get(name, [])
        count = len(lat) + rec.errors.get(name, 0)
        rate = 0.0 if name == SETUP else count / wall
        app_p50, app_p99 = server_quantiles(server, name)
        routes.append(
            RouteFigures(
                name,
                count,
                percentile(lat, 50),
                percentile(lat, 99),
                max(lat) if lat else None,
                rec.errors.get(name, 0),
                rate,
                app_p50,
                app_p99,
            )
        )
    return Report(db, agents, routes, usage, list(rec.samples), _windows(rec))


def _windows(rec: Recorder) -> list[tuple[float, int, float | None]]:
    """The p99 of heartbeat, assignment and results requests by the window they started in."""
    timed = [(t, took) for t, route, took in rec.timeline if route not in (LONG_POLL, SETUP)]
    if not timed:
        return []
    origin = min(t for t, _ in timed)
    buckets: dict[int, list[float]] = {}
    for t, took in timed:
        buckets.setdefault(int((t - origin) // WINDOW), []).append(took)
    return [(n * WINDOW, len(v), percentile(v, 99)) for n, v in sorted(buckets.items())]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _bound(value: float | None) -> str:
    if value is None:
        return "-"
    return "> 60 s" if math.isinf(value) else f"<= {value * 1000:g}"


def render(report: Report) -> str:
    """The table, the costs and the target line."""
    head = [
        "route",
        "requests",
        "p50 ms",
        "p99 ms",
        "max ms",
        "errors",
        "req/s",
        "app p50 ms",
        "app p99 ms",
    ]
    rows = [head]
    for r in report.routes:
        rate = "-" if r.route == SETUP else f"{r.rate:.1f}"
        rows.append(
            [
                r.route,
                str(r.requests),
                _ms(r.p50),
                _ms(r.p99),
                _ms(r.max),
                str(r.errors),
                rate,
                _bound(r.app_p50),
                _bound(r.app_p99),
            ]
        )
    load_rate = sum(r.rate for r in report.routes if r.route != SETUP)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    u = report.usage
    lines += [
        "(p50/p99/max: as the agents measured them; app: inside the collector's ASGI app, "
        "from its own histogram's buckets)",
        f"all load routes: {load_rate:.1f} req/s over {u.wall:.1f} s",
        f"collector: CPU {u.collector_cpu:.1f} s = {100 * u.collector_cpu / u.wall:.1f} % of one "
        f"core; RSS {u.collector_rss:.0f} MiB (peak {u.collector_peak_rss:.0f} MiB)",
        f"load generator (this process): CPU {u.loadgen_cpu:.1f} s = "
        f"{100 * u.loadgen_cpu / u.wall:.1f} % of one core",
    ]
    if u.db_cpu is not None:
        lines.append(
            f"PostgreSQL server: CPU {u.db_cpu:.1f} s = {100 * u.db_cpu / u.wall:.1f} % of one core"
        )
    if report.windows:
        cells = [f"{start:.0f}s: {_ms(p99)}" for start, _, p99 in report.windows]
        lines.append(f"p99 ms of agent requests by {WINDOW:g} s window: {', '.join(cells)}")
    for sample in report.error_samples:
        lines.append(f"  error: {sample}")
    worst = report.worst_p99
    verdict = "MET" if report.met else "MISSED"
    lines.append(
        f"target p99 < {TARGET_P99 * 1000:.0f} ms, 0 errors: {verdict} "
        f"(worst p99 {_ms(worst)} ms, {report.errors} errors)"
    )
    return "\n".join(lines)


def as_json(report: Report) -> dict[str, object]:
    """The same figures for ``--json`` (seconds, not ms)."""
    return {
        "db": report.db,
        "agents": report.agents,
        "routes": [vars(r) for r in report.routes],
        "usage": vars(report.usage),
        "errors": report.errors,
        "worst_p99": report.worst_p99,
        "met": report.met,
        "error_samples": report.error_samples,
        "windows": [{"start": s, "requests": n, "p99": p} for s, n, p in report.windows],
    }
