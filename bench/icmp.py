"""ICMP benchmark: fping and netwarden's IcmpPinger in the same run against the same lab
targets; prints probes/s for a burst and CPU share of one core at the agent's packet rate,
with netwarden/fping ratios and the issue's targets, met or missed.

    .venv/bin/python -m bench.icmp               # builds its own lab, removes it at the end
    .venv/bin/python -m bench.icmp --reuse-lab   # pings the running lab as it is

See bench/README.md ("ICMP") for what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench.targets import BenchError, acquire_lab, lab_address, release_lab
from netwarden.lab.state import LabState

FALLBACK = ("198.18.100.1", "198.18.1.2", "198.18.2.2", "198.18.1.50", "198.18.1.60", "198.18.2.70")
SCALE_FIRST = 0xC6128001  # 198.18.128.1, the lab's first scale address
_FPING_LINE = re.compile(r"xmt/rcv/%loss = (\d+)/(\d+)/")


@dataclass(frozen=True)
class Figures:
    tool: str
    wall: float  # s
    cpu: float  # s of CPU (user + system)
    sent: int
    replies: int


@dataclass(frozen=True)
class Job:
    targets: list[str]
    count: int
    spacing: float  # s between one target's packets
    timeout: float  # s per packet
    stagger: float  # s over which the targets' first packets are spread


def targets(state: LabState, n: int) -> tuple[list[str], str]:
    """``n`` lab addresses: the scale addresses if the lab has enough, else its devices and
    endpoints repeated (which the table's header says)."""
    scale = int(state.params.get("scale_devices", 0))
    if scale >= n:
        hosts = [
            ".".join(str((SCALE_FIRST + i) >> s & 255) for s in (24, 16, 8, 0)) for i in range(n)
        ]
        how = f"{n} scale addresses 198.18.128.1.."
    else:
        hosts = [FALLBACK[i % len(FALLBACK)] for i in range(n)]
        how = f"the lab's {len(FALLBACK)} devices and endpoints repeated to {n} (scale: {scale})"
    return [lab_address(h) for h in hosts], how


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def run_fping(job: Job) -> Figures:
    """fping with the same packets: -p is one target's spacing, -i the gap between any two.
    Its CPU is its whole life's (os.times of reaped children, before and after)."""
    gap_ms = max(job.spacing * 1000 / len(job.targets), 0.01)
    argv = [
        "fping",
        "-q",
        "-c",
        str(job.count),
        "-p",
        f"{job.spacing * 1000:g}",
        "-i",
        f"{gap_ms:.3f}",
        "-t",
        f"{job.timeout * 1000:g}",
        *job.targets,
    ]
    cpu, start = _children_cpu(), time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    wall, cpu = time.monotonic() - start, _children_cpu() - cpu
    found = [(int(a), int(b)) for a, b in _FPING_LINE.findall(done.stderr)]
    if not found:
        raise BenchError(f"fping printed no statistics: {done.stderr.strip()[:200]}")
    return Figures("fping", wall, cpu, sum(a for a, _ in found), sum(b for _, b in found))


def run_netwarden(job: Job) -> Figures:
    """The worker process; its CPU is its own for the measured part only."""
    payload = json.dumps(
        {
            "targets": job.targets,
            "count": job.count,
            "spacing": job.spacing,
            "timeout": job.timeout,
            "stagger": job.stagger,
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.icmp_worker"],
        input=payload,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"bench.icmp_worker failed: {done.stderr.strip()[-300:]}")
    fig = json.loads(done.stdout)
    return Figures("netwarden", fig["wall"], fig["cpu"], int(fig["sent"]), int(fig["replies"]))


def _row(fig: Figures, base: Figures, count: int, seconds: float | None) -> list[str]:
    """Probes are N-packet probes of one target: packets sent / N, the same for both tools."""
    rate = fig.sent / count / fig.wall
    share = fig.cpu / (seconds or fig.wall)
    ratio = "-" if base is fig else f"{rate / (base.sent / count / base.wall):.2f}x"
    loss = 1 - fig.replies / max(fig.sent, 1)
    return [
        fig.tool,
        f"{fig.wall:.2f}",
        f"{fig.cpu:.2f}",
        f"{100 * share:.1f}",
        f"{fig.sent / fig.wall:.0f}",
        f"{rate:.1f}",
        f"{loss:.3f}",
        ratio,
    ]


def table(rows: list[list[str]]) -> str:
    head = ["tool", "wall s", "CPU s", "CPU % core", "pkt/s", "probes/s", "loss", "probes/s/fping"]
    rows = [head, *rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def scenario(title: str, job: Job, seconds: float | None) -> tuple[Figures, Figures]:
    fping, netwarden = run_fping(job), run_netwarden(job)
    rows = [_row(fig, fping, job.count, seconds) for fig in (fping, netwarden)]
    print(f"\n== {title}\n{table(rows)}", flush=True)
    return fping, netwarden


def verdict(name: str, value: float, limit: float, *, most: bool) -> str:
    met = value <= limit if most else value >= limit
    return f"{'[met]   ' if met else '[MISSED]'} {name} ({value:.3g} vs limit {limit:.3g})"


def run_all(args: argparse.Namespace, state: LabState) -> bool:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"ICMP benchmark, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, "
        f"{os.cpu_count()} CPUs, load {load}"
    )
    burst_hosts, how = targets(state, args.burst_targets)
    print(f"burst targets: {how}")
    burst = Job(burst_hosts, args.count, args.burst_spacing, 1.0, 0.0)
    fping, nw = scenario(
        f"burst: {len(burst_hosts)} targets x {args.count} packets, "
        f"{args.burst_spacing * 1000:g} ms apart",
        burst,
        None,
    )
    ratio = (nw.sent / nw.wall) / (fping.sent / fping.wall)
    fleet_hosts, how = targets(state, args.fleet)
    print(f"\nfleet targets: {how}")
    # The agent's rate: N packets per target per period. A shorter --duration keeps that rate
    # (same spacing, fewer packets per target) and divides CPU by the measured wall time.
    spacing = args.period / args.count
    count = max(1, min(args.count, round(args.duration / spacing)))
    fleet = Job(fleet_hosts, count, spacing, 1.0, spacing)
    rate = len(fleet_hosts) / spacing
    _fping2, nw2 = scenario(
        f"fleet: {len(fleet_hosts)} targets, a packet each every {spacing:g} s ({rate:.0f} "
        f"packets/s), {count} packets each",
        fleet,
        None,
    )
    share = nw2.cpu / nw2.wall
    lines = [
        verdict("burst: netwarden probes/s >= 1x fping", ratio, 1.0, most=False),
        verdict(
            f"fleet: netwarden CPU share of one core at {rate:.0f} packets/s < 30 %",
            100 * share,
            30.0,
            most=True,
        ),
    ]
    print("\ntargets:\n" + "\n".join(lines))
    return all(line.startswith("[met]") for line in lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.icmp",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--reuse-lab", action="store_true", help="ping the running lab as it is")
    p.add_argument("--replace-lab", action="store_true", help="rebuild even if a lab is running")
    p.add_argument("--count", type=int, default=20, help="packets per target")
    p.add_argument("--burst-targets", type=int, default=200)
    p.add_argument(
        "--burst-spacing", type=float, default=0.01, help="s between one target's packets"
    )
    p.add_argument("--fleet", type=int, default=2000, help="targets of the fleet scenario")
    p.add_argument("--period", type=float, default=60.0, help="s the fleet's packets spread over")
    p.add_argument("--duration", type=float, default=60.0, help="s of the fleet run (same rate)")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when it ran (with --check: and every target was met)."""
    args = parse_args(argv)
    try:
        state, own = acquire_lab(
            reuse=args.reuse_lab,
            replace=args.replace_lab,
            fleet_size=max(args.fleet, args.burst_targets),
            big_ports=0,
            verb="ping",
        )
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    try:
        met = run_all(args, state)
    except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if own:
            release_lab()
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
