"""``python -m netwarden.lab.demo [--keep] [--setup-seconds S]``: run the province demo.

Exit 0 when every step did what it says, 1 naming the first step that did not (skipped steps,
whose subsystem is not installed yet, are listed as such and do not fail the demo).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from netwarden.lab.demo import kept
from netwarden.lab.demo.context import Demo
from netwarden.lab.demo.runner import Outcome, run_steps
from netwarden.lab.demo.shell import Processes, Shell
from netwarden.lab.demo.steps import demo_steps

FOLDER = Path("/tmp/netwarden-demo")
REPO = Path(__file__).resolve().parents[2]


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
        before = 0 if args.setup_seconds is None else 1  # the set-up: the timeline's step 1
        timeline = run_steps(demo_steps(demo), sys.stdout, done_before=before)
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
    pids = demo.processes.pids()
    env = kept.env_sh(REPO, ends.collector, demo.ca_file, demo.tokens.get("admin", ""))
    env_file, stop_file = kept.write(demo.folder, REPO, env, pids)
    incident = demo.incident or "INC-..."
    print(f"""
demo: everything keeps running (--keep).
  Prometheus     {ends.prometheus}/classic/alerts   (and /classic/targets: Debian's UI)
  Alertmanager   {ends.alertmanager}
  collector      {ends.collector}   (CA {demo.ca_file})
  notifications  tail -f {demo.people_file}
  logs           {demo.folder}/*.log
  explore:       source {env_file}   # netwarden on PATH; the collector, its CA, an admin token
                 netwarden fleet status
                 netwarden incident list --status all
                 netwarden incident show {incident}
                 netwarden playbook runs --incident {incident}
                 netwarden lab fault tsl-so-tc down   # cut another line, and watch it all again
  stop:          bash {stop_file}   # ends the processes below by PID, then `netwarden lab down`
  processes:     {" ".join(f"{name}={pid}" for name, pid in pids.items())}""")


if __name__ == "__main__":
    sys.exit(main())
