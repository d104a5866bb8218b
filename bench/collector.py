"""Collector benchmark: N simulated agents against a real ``netwarden collector serve``.

    .venv/bin/python -m bench.collector                  # 1,000 agents, 60 s, SQLite
    .venv/bin/python -m bench.collector --db both        # SQLite, then a throwaway PostgreSQL
    .venv/bin/python -m bench.collector --quick          # 100 agents, 20 s
    .venv/bin/python -m bench.collector --agents 200 --slow-clients 50   # under a slow-loris

Prints, per route, requests, p50/p99/max latency, errors and req/s, the collector's CPU (% of
one core) and RSS, the load generator's CPU, and the issue's target (p99 < 100 ms, 0 errors).
See bench/README.md ("Collector") for what is simulated and how it is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import collector_histogram as histogram
from bench.collector_fleet import SimAgentSpec, write_province
from bench.collector_histogram import Buckets
from bench.collector_load import Pace, Recorder, SimAgent, close_all, enroll_all, run_load
from bench.collector_report import Report, Usage, as_json, build, render
from bench.collector_server import Collector, tree_cpu
from bench.collector_slow import SlowKind, records_from_json, render_slow, slow_json
from bench.targets import BenchError

CLI_TOKENS = 3  # join tokens made by the real CLI; the rest come from the store API
# s the slow clients' process may outlive the run: a connection attempt in flight at the end
# waits up to 15 s (bench/collector_slow.py), and Python takes a second to start.
SLOW_GRACE = 30.0
REPOSITORY = Path(__file__).resolve().parent.parent


@contextmanager
def database(kind: str, folder: Path) -> Iterator[tuple[str, int | None]]:
    """A database URL and the database server's PID (None for SQLite, which runs inside the
    collector): SQLite in ``folder``, or a throwaway PostgreSQL cluster (the test suite's own,
    tests/pg_server.py), stopped and removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'collector.db'}", None
        return
    from tests.pg_server import PgServer, PgUnavailable

    try:
        server = PgServer.start()
    except PgUnavailable as exc:
        raise BenchError(str(exc)) from exc
    try:
        print(
            f"PostgreSQL {server.bindir.parent.name} started in {server.startup_seconds:.1f} s "
            "(the test suite's throwaway cluster: fsync=off, synchronous_commit=off)",
            flush=True,
        )
        postmaster = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
        with server.database() as url:
            yield url, postmaster
    finally:
        server.stop()


def _raise_fd_limit() -> None:
    """Every agent holds two or three connections: 1,000 agents need more than 1,024 fds
    (children inherit the raised limit, the collector included)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """No garbage collection in the load generator while it measures.

    Its heap holds 1,000 agents' clients and connections, far more than any real agent's, and
    its full collections stalled it 100-330 ms every ~10 s: every request in flight then looked
    that much slower, and the collector was blamed for the load generator's pause. What exists
    after enrolment is frozen, and collection is off for the run, then back on."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class SlowRun:
    """How to start the slow clients' process against this collector."""

    port: int
    cafile: Path | None  # None: plain HTTP
    per_kind: int
    flood: int


def _slow_run(collector: Collector, args: argparse.Namespace, folder: Path) -> SlowRun | None:
    if not args.slow_clients:
        return None
    cafile = None
    if not args.insecure:
        cafile = folder / "collector-ca.pem"
        cafile.write_text(collector.ca_pem, encoding="ascii")
    return SlowRun(collector.port, cafile, args.slow_clients, args.flood)


async def _slow_clients(slow: SlowRun, duration: float) -> dict[str, SlowKind]:
    """The slow clients in a process of their own (bench/collector_slow.py), as attackers are
    other machines: in this process's event loop their handshakes and reconnects delayed the
    agents' timing. Bounded: killed if it outlives the run by SLOW_GRACE."""
    argv = ["--port", str(slow.port), "--per-kind", str(slow.per_kind)]
    argv += ["--flood", str(slow.flood), "--duration", f"{duration:g}"]
    argv += ["--cafile", str(slow.cafile)] if slow.cafile is not None else []
    command = [sys.executable, "-m", "bench.collector_slow", *argv]
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, cwd=REPOSITORY
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), duration + SLOW_GRACE)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise BenchError(f"the slow clients did not stop within {SLOW_GRACE:g} s") from exc
    if proc.returncode != 0:
        raise BenchError(f"the slow clients' process failed (exit {proc.returncode})")
    return records_from_json(json.loads(out))


async def _load(
    agents: list[SimAgent], pace: Pace, duration: float, rec: Recorder, slow: SlowRun | None
) -> tuple[float, dict[str, SlowKind]]:
    """The agents' load, with the slow clients beside it when asked for."""
    if slow is None:
        return await run_load(agents, pace, duration, rec), {}
    wall, attacks = await asyncio.gather(
        run_load(agents, pace, duration, rec), _slow_clients(slow, duration)
    )
    return wall, attacks


async def _drive(
    collector: Collector,
    tokens: dict[str, str],
    pace: Pace,
    duration: float,
    db_pid: int | None,
    *,
    slow: SlowRun | None = None,
) -> tuple[Recorder, Usage, Buckets, int, dict[str, SlowKind]]:
    rec = Recorder()
    agents: list[SimAgent] = await enroll_all(collector.url, collector.verify(), tokens, rec)
    try:
        if len(agents) != len(tokens):
            print(f"warning: only {len(agents)} of {len(tokens)} agents enrolled", flush=True)
        print(f"{len(agents)} agents enrolled; load for {duration:g} s ...", flush=True)
        before = histogram.parse(collector.metrics_text())
        cpu0, self0, db0 = collector.cpu(), _cpu_self(), tree_cpu(db_pid)
        with _no_gc_pauses():
            wall, attacks = await _load(agents, pace, duration, rec, slow)
        cpu1, self1, db1 = collector.cpu(), _cpu_self(), tree_cpu(db_pid)
        server = histogram.delta(histogram.parse(collector.metrics_text()), before)
        rss, peak = collector.rss_mib()
    finally:
        await close_all(agents)
    db_cpu = None if db0 is None or db1 is None else db1 - db0
    usage = Usage(wall, cpu1 - cpu0, rss, peak, self1 - self0, db_cpu)
    return rec, usage, server, len(agents), attacks


def run_one(kind: str, args: argparse.Namespace, pace: Pace) -> tuple[Report, dict[str, SlowKind]]:
    """One whole run against a fresh collector on ``kind`` (sqlite or postgresql)."""
    with tempfile.TemporaryDirectory(prefix="nw-bench-collector-") as tmp:
        folder = Path(tmp)
        inventory = folder / "inventory.yaml"
        specs: list[SimAgentSpec] = write_province(inventory, args.agents)
        with database(kind, folder) as (url, db_pid):
            collector = Collector(
                inventory, folder / "data", url, insecure=args.insecure, extra=_serve_args(args)
            )
            try:
                collector.wait_ready()
                by_cli = specs[:CLI_TOKENS]
                tokens = {s.id: collector.cli_token(s.id, inventory) for s in by_cli}
                tokens |= collector.store_tokens([(s.id, s.site) for s in specs[CLI_TOKENS:]])
                slow = _slow_run(collector, args, folder)
                rec, usage, server, enrolled, attacks = asyncio.run(
                    _drive(collector, tokens, pace, args.duration, db_pid, slow=slow)
                )
            except BaseException:
                print(collector.tail(), file=sys.stderr)
                raise
            finally:
                collector.stop()
    return build(kind, enrolled, rec, usage, server), attacks


def _serve_args(args: argparse.Namespace) -> list[str]:
    """``collector serve`` options the run sets (the collector's defaults otherwise)."""
    extra = []
    for option in ("read_timeout", "read_idle_timeout", "max_connections_per_address"):
        value = getattr(args, option)
        if value is not None:
            extra += [f"--{option.replace('_', '-')}", str(value)]
    return extra


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.collector",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--agents", type=int, default=1000, help="simulated agents")
    p.add_argument("--duration", type=float, default=60.0, help="s of load after enrolment")
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    p.add_argument("--quick", action="store_true", help="100 agents for 20 s")
    p.add_argument("--insecure", action="store_true", help="plain HTTP instead of TLS")
    p.add_argument("--heartbeat", type=float, default=15.0, help="s between heartbeats")
    p.add_argument("--results", type=float, default=60.0, help="s between results batches")
    p.add_argument("--batch", type=int, default=10, help="results per batch")
    p.add_argument("--wait", type=int, default=30, help="s a jobs long-poll is held")
    p.add_argument(
        "--ramp",
        type=float,
        help="s over which the agents come up (default: one "
        "heartbeat period, a fleet in steady state; 0: all at once, as after a "
        "collector restart)",
    )
    p.add_argument(
        "--slow-clients",
        type=int,
        default=0,
        help="slow clients of each kind beside the agents (bench/collector_slow.py)",
    )
    p.add_argument(
        "--flood", type=int, default=300, help="with --slow-clients: connections from one address"
    )
    p.add_argument("--read-timeout", help="collector serve --read-timeout (e.g. 30s)")
    p.add_argument("--read-idle-timeout", help="collector serve --read-idle-timeout (e.g. 10s)")
    p.add_argument(
        "--max-connections-per-address", type=int, help="collector serve option of that name"
    )
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = p.parse_args(argv)
    if args.quick:
        args.agents, args.duration = 100, 20.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when it ran (with --check: and the target was met)."""
    args = parse_args(argv)
    ramp = args.heartbeat if args.ramp is None else args.ramp
    pace = Pace(args.heartbeat, args.results, args.batch, args.wait, ramp)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    _raise_fd_limit()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    transport = "plain HTTP" if args.insecure else "TLS"
    print(
        f"collector benchmark, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} CPUs "
        f"shared by the collector and the load generator, load {load}\n"
        f"{args.agents} agents: heartbeat + assignment every {pace.heartbeat:g} s, "
        f"{pace.batch} results every {pace.results:g} s, one jobs long-poll (wait "
        f"{pace.wait} s) each; agents come up over {pace.ramp:g} s; {transport}",
        flush=True,
    )
    reports = []
    try:
        for kind in kinds:
            print(f"\n== {kind}", flush=True)
            report, attacks = run_one(kind, args, pace)
            print(render(report), flush=True)
            if attacks:
                print(render_slow(attacks), flush=True)
            reports.append({**as_json(report), "slow": slow_json(attacks)})
    except (BenchError, OSError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))
    return 1 if args.check and not all(r["met"] for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
