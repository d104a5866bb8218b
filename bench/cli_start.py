"""How fast the ``netwarden`` command answers: wall and CPU time of ``--version``, every
``--help`` and ``inventory check`` of the lab's inventory, each the median of a few runs.

    .venv/bin/python -m bench.cli_start               # 5 runs of each command
    .venv/bin/python -m bench.cli_start --runs 9 --importtime

No lab and no root needed: the lab's inventory is generated from the lab's plan (the one
``netwarden lab up`` writes with its defaults) into a temporary directory. CPU (user + system of
the child, from ``wait4``) holds up on a loaded machine; wall time does not, so the header prints
the load average. ``--importtime`` adds the slowest imports of ``--version`` and of
``inventory check`` (``python -X importtime``, cumulative microseconds). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from netwarden.lab.inventory_file import build_inventory, write_inventory
from netwarden.lab.topology import build_plan

TARGET_HELP = 0.3  # seconds: --version and every --help (issue 11, section 5)
TARGET_CHECK = 0.7  # seconds: inventory check of the lab inventory


@dataclass(frozen=True)
class Timing:
    argv: tuple[str, ...]
    wall: float  # median seconds
    wall_min: float
    cpu: float  # median user + system seconds
    exit_code: int


def _run_once(argv: Sequence[str]) -> tuple[float, float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen quiet
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def measure(args: Sequence[str], runs: int) -> Timing:
    """Median and minimum wall time and median CPU of ``netwarden args`` over ``runs`` runs."""
    argv = (sys.executable, "-m", "netwarden", *args)
    _run_once(argv)  # warm the page cache and the .pyc files: the first run is not measured
    samples = [_run_once(argv) for _ in range(runs)]
    walls = [w for w, _, _ in samples]
    return Timing(
        tuple(args),
        statistics.median(walls),
        min(walls),
        statistics.median(c for _, c, _ in samples),
        samples[-1][2],
    )


def help_commands() -> list[tuple[str, ...]]:
    """``--help`` of the root, of every group and of every command, as Click lists them."""
    import typer.main

    from netwarden.cli import app

    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        found.append((*path, "--help"))
        if isinstance(command, typer.main.TyperGroup):
            ctx = command.make_context("netwarden", [], resilient_parsing=True)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), (*path, name))

    walk(root, ())
    return found


def slowest_imports(args: Sequence[str], count: int) -> list[tuple[int, str]]:
    """The ``count`` imports with the largest cumulative time (microseconds) for ``args``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "netwarden", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:count]


def _line(timing: Timing, target: float) -> str:
    verdict = "ok" if timing.wall <= target else "SLOW"
    return (
        f"{timing.wall:7.3f} {timing.wall_min:7.3f} {timing.cpu:7.3f}  {verdict:4}  "
        f"netwarden {' '.join(timing.argv)}" + ("" if timing.exit_code == 0 else " (exit != 0)")
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_start", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per command")
    parser.add_argument("--importtime", action="store_true", help="list the slowest imports")
    args = parser.parse_args(argv)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"CLI start-up, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load {load}")
    print(f"median of {args.runs} runs after one warm-up; seconds")
    print("   wall     min     cpu  target  command")
    with tempfile.TemporaryDirectory(prefix="nw-cli-bench-") as tmp:
        inventory = Path(tmp) / "inventory.yaml"
        write_inventory(build_inventory(build_plan(), Path(tmp) / "secrets"), inventory)
        timings = [(measure(["--version"], args.runs), TARGET_HELP)]
        timings += [(measure(c, args.runs), TARGET_HELP) for c in help_commands()]
        timings.append((measure(["inventory", "check", str(inventory)], args.runs), TARGET_CHECK))
        for timing, target in timings:
            print(_line(timing, target), flush=True)
        helps = [t.wall for t, target in timings if target == TARGET_HELP]
        print(f"--version and {len(helps) - 1} --help: slowest median {max(helps):.3f} s "
              f"(target {TARGET_HELP} s)")  # fmt: skip
        if args.importtime:
            for what in (["--version"], ["inventory", "check", str(inventory)]):
                print(f"\nslowest imports of netwarden {' '.join(what)} (cumulative ms):")
                for micros, name in slowest_imports(what, 12):
                    print(f"{micros / 1000:9.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
