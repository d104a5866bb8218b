"""``python -m netwarden.lab.demo [--keep] [--setup-seconds S]``: run the province demo.

Exit 0 when every step did what it says, 1 naming the first step that did not (skipped steps,
whose subsystem is not installed yet, are listed as such and do not fail the demo).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from netwarden.lab.demo.context import Demo
from netwarden.lab.demo.runner import Outcome, run_steps
from netwarden.lab.demo.shell import Processes, Shell
from netwarden.lab.demo.steps import demo_steps

FOLDER = Path("/tmp/netwarden-demo")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo.sh", description=__doc__)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the lab, collector, agents, Prometheus, Alertmanager running",
    )
    parser.add_argument("--setup-seconds", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)
    demo = Demo(FOLDER, Shell(sys.stdout), Processes(FOLDER), keep=args.keep)
    try:
        timeline = run_steps(demo_steps(demo), sys.stdout)
    finally:
        if not args.keep:
            _clean_up(demo)
    if args.setup_seconds is not None:
        setup = Outcome("set up (Debian packages, .venv, netwarden)", "ok", args.setup_seconds)
        timeline.outcomes.insert(0, setup)
    print("\n" + timeline.render())
    if args.keep:
        _explore(demo)
    failed = timeline.failed
    if failed is not None:
        print(f"demo: FAILED at '{failed.title}': {failed.note}", file=sys.stderr)
        return 1
    return 0


def _clean_up(demo: Demo) -> None:
    """Stop what the demo started (by PID) and take the lab down."""
    demo.processes.stop_all()
    if demo.lab_inventory != Path():
        try:
            demo.shell.netwarden("lab", "down", show=False, timeout=120)
        except Exception as exc:
            print(f"demo: lab down failed: {exc}", file=sys.stderr)
    print(f"\ndemo: cleaned up (processes stopped, lab down); logs and drafts stay in {FOLDER}")


def _explore(demo: Demo) -> None:
    if demo.ends is None:
        return
    ends = demo.ends
    env = demo.folder / "env.sh"
    env.write_text(
        f"export NETWARDEN_COLLECTOR={ends.collector}\n"
        f"export NETWARDEN_CA_FILE={demo.ca_file}\n"
        f"export NETWARDEN_TOKEN={demo.tokens.get('admin', '')}\n",
        encoding="utf-8",
    )
    env.chmod(0o600)
    pids = " ".join(f"{name}={pid}" for name, pid in demo.processes.pids().items())
    print(f"""
demo: everything keeps running (--keep).
  Prometheus     {ends.prometheus}   (alerts: {ends.prometheus}/alerts)
  Alertmanager   {ends.alertmanager}
  collector      {ends.collector}   (CA {demo.ca_file})
  notifications  tail -f {demo.people_file}
  explore:       source {env}   # the collector URL, CA and an admin token
                 .venv/bin/netwarden fleet status
                 .venv/bin/netwarden incident list
                 .venv/bin/netwarden incident show {demo.incident or "INC-..."}
                 .venv/bin/netwarden lab fault tsl-so-tc down   # and watch it all again
  stop:          kill {" ".join(str(p) for p in demo.processes.pids().values())}; \
.venv/bin/netwarden lab down
  processes:     {pids}""")


if __name__ == "__main__":
    sys.exit(main())
