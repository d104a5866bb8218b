"""Where ``netwarden agent run`` (pull mode) reaches its RSS: a timeline of one agent polling the
lab's scale devices, in phases, so that each phase's growth is its own:

1. start-up, from inside the process (``bench/agent_marks.py``): the interpreter, the imports of
   the ``agent run`` path, the inventory loaded, then applied;
2. polling alone, nothing scraped: until the first round is done (``/-/ready`` answers 200),
   then for ``--poll-rounds`` more intervals;
3. polling and scraped every 2 s (as the SNMP benchmark's fast Prometheus) for
   ``--scrape-rounds`` intervals;
4. ``--reloads`` times: the inventory file touched (the agent reloads it, as after an edit or a
   new assignment), then an interval polled and scraped.

VmRSS and VmHWM are read from /proc every 0.25 s; each phase's line gives them at its end.

    flock /tmp/netwarden-lab.lock .venv/bin/python -m bench.agent_timeline --reuse-lab
    tests/lab/world.sh .venv/bin/python -m bench.agent_timeline   # a private lab of its own

Without ``--reuse-lab`` it builds a lab (one agency, the fleet's scale devices) and removes it at
the end, as ``bench.snmp`` does; in the shared root namespace that needs the lab's lock, in a
world (tests/lab/world.sh) it does not. ``--checkout DIR`` runs another checkout's agent (e.g.
main's, unpacked with ``git archive``) for a before/after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.agent_tool import AGENT_ID, REPO, SCRAPE_EVERY, _free_port, agent_inventory
from bench.procstat import status_kib
from bench.targets import BenchError, Targets, acquire_lab, read_targets, release_lab

SAMPLE_EVERY = 0.25  # s between reads of /proc/PID/status
START_TIMEOUT = 120.0  # s until /metrics answers (imports and the inventory, on a busy machine)


@dataclass
class Sampler:
    """VmRSS/VmHWM of one process, read every SAMPLE_EVERY s while the timeline waits."""

    pid: int
    t0: float
    series: list[tuple[float, int, int]]

    def sample(self) -> tuple[int, int]:
        rss, hwm = status_kib(self.pid, "VmRSS"), status_kib(self.pid, "VmHWM")
        self.series.append((time.monotonic() - self.t0, rss, hwm))
        return rss, hwm

    def wait(self, seconds: float) -> None:
        """Sample until ``seconds`` have passed."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.sample()
            time.sleep(min(SAMPLE_EVERY, left))


def _get(url: str) -> tuple[int, bytes] | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - loopback only
            body: bytes = answer.read()
            return answer.status, body
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except OSError:
        return None


def _scraped_round(base: str, sampler: Sampler, seconds: float) -> None:
    """Scrape /metrics every SCRAPE_EVERY s for ``seconds``, sampling in between."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if _get(f"{base}/metrics") is None:
            raise BenchError("a scrape failed")
        sampler.wait(max(0.0, min(SCRAPE_EVERY, end - time.monotonic())))


def _phase(rows: list[tuple[str, float, int, int]], name: str, sampler: Sampler) -> None:
    rss, hwm = sampler.sample()
    rows.append((name, time.monotonic() - sampler.t0, rss, hwm))


def run_timeline(
    targets: Targets, work: Path, args: argparse.Namespace
) -> tuple[list[tuple[str, float, int, int]], Sampler]:
    """Start the agent, go through the phases, stop it; the phase rows and the samples."""
    devices = list(targets.fleet)
    inventory = work / "timeline-inventory.json"
    document = agent_inventory(devices, targets.credentials, args.interval)
    inventory.write_text(json.dumps(document), encoding="utf-8")
    marks = work / "marks.txt"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # The marks wrapper runs as a script (its directory, not the working directory, first on
    # sys.path) and netwarden comes from the checkout measured, through PYTHONPATH.
    argv = [sys.executable, str(REPO / "bench" / "agent_marks.py"), str(marks), "agent", "run",
            "-i", str(inventory), "--agent", AGENT_ID, "--listen", f"127.0.0.1:{port}",
            "--max-in-flight", str(args.concurrency), "--log-level", "warning",
            "--spool-dir", str(work / "spool")]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(args.checkout))
    rows: list[tuple[str, float, int, int]] = []
    with (work / "agent.log").open("ab") as log:
        proc = subprocess.Popen(argv, cwd=args.checkout, stdout=log, stderr=log, env=env)
    sampler = Sampler(proc.pid, time.monotonic(), [])
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while _get(f"{base}/-/healthy") is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the agent did not start; see {work / 'agent.log'}")
            sampler.wait(SAMPLE_EVERY)
        _phase(rows, "serving /metrics (nothing polled yet)", sampler)
        deadline = time.monotonic() + 2 * args.interval + 30
        while (_get(f"{base}/-/ready") or (0, b""))[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError("the first round did not end in two intervals")
            sampler.wait(0.5)
        _phase(rows, "first round done, never scraped", sampler)
        for n in range(args.poll_rounds):
            sampler.wait(args.interval)
            _phase(rows, f"+{n + 1} round(s) of polling, never scraped", sampler)
        for n in range(args.scrape_rounds):
            _scraped_round(base, sampler, args.interval)
            _phase(rows, f"+{n + 1} round(s) polled and scraped every {SCRAPE_EVERY:g} s", sampler)
        for n in range(args.reloads):
            # A newer modification time is what the agent's watcher looks for (every 2 s).
            os.utime(inventory)
            _scraped_round(base, sampler, args.interval)
            _phase(rows, f"inventory reloaded ({n + 1}), a round polled and scraped", sampler)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    # The marks' seconds count from the child's first line, the phases' from its spawn: the two
    # clocks differ by the interpreter's start (tens of ms), enough to put the rows in order.
    start_rows = []
    for line in marks.read_text(encoding="utf-8").splitlines():
        seconds, step, rss, hwm = line.split()
        start_rows.append((step, float(seconds), int(rss), int(hwm)))
    return sorted(start_rows + rows, key=lambda row: row[1]), sampler


def print_timeline(rows: Sequence[tuple[str, float, int, int]]) -> None:
    print(f"{'step':58s} {'s':>7s} {'VmRSS MiB':>10s} {'VmHWM MiB':>10s} {'ΔRSS':>6s}")
    previous = 0
    for step, seconds, rss, hwm in rows:
        delta = f"{(rss - previous) / 1024:+6.1f}" if previous else ""
        print(f"{step:58s} {seconds:7.1f} {rss / 1024:10.1f} {hwm / 1024:10.1f} {delta}")
        previous = rss


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--fleet", type=int, default=500, help="scale devices polled")
    p.add_argument("--interval", type=float, default=20.0, help="s between a device's polls")
    p.add_argument("--concurrency", type=int, default=50, help="--max-in-flight of the agent")
    p.add_argument("--poll-rounds", type=int, default=2, help="intervals polled, not scraped")
    p.add_argument("--scrape-rounds", type=int, default=3, help="intervals polled and scraped")
    p.add_argument("--reloads", type=int, default=0, help="then: inventory reloads, a round each")
    p.add_argument("--reuse-lab", action="store_true", help="poll the running lab as it is")
    p.add_argument("--replace-lab", action="store_true", help="rebuild a running lab")
    p.add_argument("--checkout", type=Path, default=REPO, help="the checkout whose agent runs")
    p.add_argument("--json", type=Path, help="also write the phases and every sample here")
    args = p.parse_args(argv)
    if min(args.fleet, args.concurrency) < 1 or args.interval <= 0:
        p.error("--fleet and --concurrency >= 1, --interval > 0")
    args.checkout = args.checkout.resolve()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load = os.getloadavg()[0]
    try:
        state, own = acquire_lab(
            reuse=args.reuse_lab,
            replace=args.replace_lab,
            fleet_size=args.fleet,
            big_ports=1,
            verb="poll",
        )
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    try:
        with tempfile.TemporaryDirectory(prefix="nw-timeline-") as tmp:
            targets = read_targets(state, args.fleet, 1)
            print(f"agent run from {args.checkout}, {args.fleet} devices, polls every "
                  f"{args.interval:g} s, load average {load:.2f} at the start")  # fmt: skip
            rows, sampler = run_timeline(targets, Path(tmp), args)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if own:
            release_lab()
    print_timeline(rows)
    if args.json is not None:
        args.json.write_text(
            json.dumps({"phases": rows, "samples": sampler.series}, indent=1), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
