"""SNMP benchmark: net-snmp snmpbulkwalk, snmp_exporter 0.21 and netwarden, in the same run,
against the same lab devices; prints CPU, wall time, devices/s and peak RSS with each figure's
ratio to snmp_exporter, then the issue's targets, met or missed.

    .venv/bin/python -m bench.snmp               # builds its own lab, removes it at the end
    .venv/bin/python -m bench.snmp --reuse-lab   # polls the running lab as it is

See bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from bench import bulkwalk, exporter
from bench.agent_tool import AgentTool
from bench.netwarden_tool import NetwardenTool
from bench.procstat import Result, Run, failed_result, summarize
from bench.report import Scenario, Verdict, table, verdict_lines, verdicts
from bench.targets import (
    BenchError,
    Device,
    Targets,
    acquire_lab,
    read_targets,
    release_lab,
)
from netwarden.errors import NetwardenError

ROOTS = (exporter.IF_TABLE, exporter.IF_X_TABLE)  # what snmp_exporter's if_mib walks
SCENARIOS = ("big-v2c", "big-v3", "fleet-v2c", "fleet-v3")
DEFAULT_SCENARIOS = "big-v2c,big-v3,fleet-v2c"


class Tool(Protocol):
    name: str

    def start(self) -> None: ...
    def run(self) -> Run: ...
    def peak_rss(self) -> float | None: ...
    def stop(self) -> None: ...


@dataclass(frozen=True)
class Settings:
    repeat: int
    warmup: int
    concurrency: int
    max_repetitions: int
    budget: float  # s per scenario; past it no new repetition starts
    work: Path  # private temporary directory: configs with secrets, logs
    agent_interval: float = 20.0  # s between the whole agent's polls of a device; 0: no row
    agent_baseline: Path | None = None  # another checkout's agent, as a row of its own


def _start_all(tools: Sequence[Tool], errors: dict[str, str]) -> None:
    for tool in tools:
        try:
            tool.start()
        except (BenchError, OSError) as exc:
            errors[tool.name] = str(exc)


def _rounds(
    tools: Sequence[Tool], settings: Settings, errors: dict[str, str]
) -> dict[str, list[Run]]:
    """Warm-up, then the measured repetitions, the tools interleaved in each round so that a
    change in the machine's load falls on all of them alike."""
    runs: dict[str, list[Run]] = {tool.name: [] for tool in tools}
    deadline = time.monotonic() + settings.budget
    for round_no in range(settings.warmup + settings.repeat):
        if round_no > settings.warmup and time.monotonic() > deadline:
            print(
                f"bench: time budget spent after {round_no - settings.warmup} repetitions",
                file=sys.stderr,
            )
            break
        for tool in tools:
            if tool.name in errors:
                continue
            try:
                run = tool.run()
            except (BenchError, OSError) as exc:
                errors[tool.name] = str(exc)
                continue
            if round_no >= settings.warmup:
                runs[tool.name].append(run)
    return runs


def measure(tools: Sequence[Tool], settings: Settings) -> list[Result]:
    """Start every tool, run the rounds, read peak RSS, and stop what was started."""
    errors: dict[str, str] = {}
    try:
        _start_all(tools, errors)
        runs = _rounds(tools, settings, errors)
        peaks = {t.name: t.peak_rss() for t in tools if t.name not in errors}
        steady = {t.name: _steady_rss(t) for t in tools if t.name not in errors}
    finally:
        for tool in tools:
            tool.stop()
    results = []
    for tool in tools:
        note = str(getattr(tool, "note", ""))
        if tool.name in errors:
            results.append(failed_result(tool.name, errors[tool.name]))
        else:
            results.append(
                summarize(tool.name, runs[tool.name], peaks[tool.name], note, steady[tool.name])
            )
    return results


def _steady_rss(tool: Tool) -> float | None:
    """VmRSS after the last repetition, for tools that are one long-lived process."""
    steady = getattr(tool, "steady_rss", None)
    return steady() if steady is not None else None


def _scenario(key: str, targets: Targets) -> tuple[Scenario, list[Device]]:
    if key.startswith("big"):
        device = targets.big_v2c if key == "big-v2c" else targets.big_v3
        title = (
            f"big walk, {key[4:]}: ifTable+ifXTable of {device.name} "
            f"({targets.big_ports} ports) at {device.host}"
        )
        return Scenario(key, title, 1, fleet=False), [device]
    fleet = list(targets.fleet)
    if key == "fleet-v3":
        fleet = [Device(d.name, d.host, targets.big_v3.creds, d.timeout, d.retries) for d in fleet]
    title = f"fleet, {key[6:]}: {len(fleet)} scale devices (51 interfaces each) polled once each"
    return Scenario(key, title, len(fleet), fleet=True), fleet


def _tools(
    scenario: Scenario, devices: list[Device], settings: Settings, targets: Targets
) -> list[Tool]:
    conc = settings.concurrency if scenario.fleet else 1
    conf_dir = settings.work / f"snmpconf-{scenario.key}"
    conf_dir.mkdir(mode=0o700)
    config = settings.work / f"snmp-{scenario.key}.yml"
    first = devices[0]
    module = exporter.module(first.creds, settings.max_repetitions, first.timeout, first.retries)
    exporter.write_config(config, {"if_mib": module})
    tools: list[Tool] = [
        bulkwalk.BulkWalk(devices, ROOTS, conf_dir, conc, settings.max_repetitions),
        exporter.Exporter(config, "if_mib", devices, conc),
        NetwardenTool(
            devices,
            ROOTS,
            conc,
            settings.max_repetitions,
            settings.work / f"netwarden-{scenario.key}.log",
            want_poller=scenario.fleet,
        ),
    ]
    if scenario.fleet:
        # The agent's poller walks only the columns it exports (and labels from a cache):
        # this row does the exporter's exact walk, so the work compared is the same too.
        tools.append(
            NetwardenTool(
                devices,
                ROOTS,
                conc,
                settings.max_repetitions,
                settings.work / f"netwarden-walk-{scenario.key}.log",
                want_poller=False,
                name="netwarden-walk",
            )
        )
        if settings.agent_interval > 0:
            # The whole agent process (issue 11, section 4): its RSS is the figure here.
            tools.append(AgentTool(devices, targets.credentials, settings.work,
                                   concurrency=conc, interval=settings.agent_interval))  # fmt: skip
            if settings.agent_baseline is not None:
                tools.append(AgentTool(devices, targets.credentials, settings.work,
                                       concurrency=conc, interval=settings.agent_interval,
                                       name="agent-baseline",
                                       checkout=settings.agent_baseline))  # fmt: skip
    return tools


def _version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "missing"
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else "?"


def header(args: argparse.Namespace) -> str:
    """Where and how the figures were taken."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join(
        [
            f"SNMP benchmark, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} CPUs, "
            f"load average {load}",
            f"snmpbulkwalk: {_version([bulkwalk.BINARY, '-V'])}; snmp_exporter: "
            f"{_version([exporter.BINARY, '--version'])}; Python {sys.version.split()[0]}",
            f"median of {args.repeat} after {args.warmup} warm-up, tools interleaved; "
            f"max-repetitions {args.max_repetitions}; fleet concurrency {args.concurrency}",
        ]
    )


def run_all(args: argparse.Namespace, targets: Targets, work: Path) -> list[Verdict]:
    settings = Settings(
        args.repeat,
        args.warmup,
        args.concurrency,
        args.max_repetitions,
        args.budget,
        work,
        args.agent_interval,
        args.agent_baseline,
    )
    print(header(args), flush=True)
    found: list[Verdict] = []
    record = []
    for key in args.scenarios:
        scenario, devices = _scenario(key, targets)
        results = measure(_tools(scenario, devices, settings, targets), settings)
        found += verdicts(scenario, results)
        print(f"\n== {scenario.title}\n{table(scenario, results)}", flush=True)
        record.append({"scenario": asdict(scenario), "results": [asdict(r) for r in results]})
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\ntargets:\n{verdict_lines(found)}")
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return found


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.snmp",
        description="snmpbulkwalk vs snmp_exporter vs netwarden on the lab (bench/README.md)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--reuse-lab",
        action="store_true",
        help="poll the running lab as it is (do not build or remove one)",
    )
    p.add_argument(
        "--replace-lab",
        action="store_true",
        help="rebuild even if a lab is running (it may be someone else's)",
    )
    p.add_argument("--fleet", type=int, default=500, help="scale devices in the fleet")
    p.add_argument("--ports", type=int, default=2048, help="ports of the big device")
    p.add_argument("--repeat", type=int, default=3, help="measured repetitions (median)")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured repetitions first")
    p.add_argument("--concurrency", type=int, default=50, help="fleet polls in flight")
    p.add_argument("--max-repetitions", type=int, default=25, help="GETBULK size, all tools")
    p.add_argument("--budget", type=float, default=900.0, help="s per scenario at most")
    p.add_argument(
        "--scenarios",
        default=DEFAULT_SCENARIOS,
        help=f"comma-separated, of: {', '.join(SCENARIOS)}",
    )
    p.add_argument(
        "--agent-interval",
        type=float,
        default=20.0,
        help="fleet: poll interval of the whole agent's row (netwarden-agent); 0 leaves it out",
    )
    p.add_argument(
        "--agent-baseline",
        type=Path,
        help="fleet: also run the agent of this checkout (e.g. `git archive main` unpacked) "
        "as an agent-baseline row, for a before/after in the same run",
    )
    p.add_argument("--json", help="also write every repetition's figures to this file")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    bad = [s for s in args.scenarios if s not in SCENARIOS]
    if bad or not args.scenarios or min(args.repeat, args.fleet, args.concurrency) < 1:
        p.error(f"bad --scenarios {bad}" if bad else "--repeat, --fleet and --concurrency >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when it ran (with --check: and every target was met)."""
    args = parse_args(argv)
    try:
        state, own = acquire_lab(
            reuse=args.reuse_lab,
            replace=args.replace_lab,
            fleet_size=args.fleet,
            big_ports=args.ports,
            verb="poll",
        )
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    try:
        with tempfile.TemporaryDirectory(prefix="nw-bench-") as tmp:
            found = run_all(args, read_targets(state, args.fleet, args.ports), Path(tmp))
    except (BenchError, NetwardenError) as exc:  # e.g. the lab's inventory or a secret
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if own:
            release_lab()
    missed = any(v.met is False for v in found)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
