"""``netwarden agent run`` with its own VmRSS/VmHWM written down at the steps of its start-up,
for ``bench/agent_timeline.py``:

    python -m bench.agent_marks MARKS_FILE agent run -i INVENTORY --agent ID ...

appends one line ``SECONDS STEP VMRSS_KIB VMHWM_KIB`` to MARKS_FILE at: the interpreter's start
(before anything of netwarden), after the imports of the ``agent run`` path, once the CLI has
parsed the options, before and after each inventory load, after each time the runtime applies
one; then runs the CLI with the rest of the arguments, as ``python -m netwarden`` would. The
steps are read from inside the process, where they happen; the timeline tool samples the rest
from /proc.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

_START = time.monotonic()


def _status_kib() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in KiB. Not ``bench.procstat.status_kib``: that module
    imports ``statistics`` (and with it decimal and fractions) into the process whose imports
    are being measured."""
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    return found["VmRSS"], found["VmHWM"]


class Marks:
    """Appends a step's figures to the marks file (one line each, flushed at once: the agent
    is stopped by a signal, and what was written so far must be on disk)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, step: str) -> None:
        rss, hwm = _status_kib()
        with self.path.open("a", encoding="utf-8") as out:
            out.write(f"{time.monotonic() - _START:.3f} {step} {rss} {hwm}\n")


def _instrument(mark: Marks) -> None:
    """Wrap ``run_agent`` (called once the CLI has parsed the options), the runtime's load and
    apply so that each records the process's RSS; they run unchanged."""
    from netwarden.agent import agent_run
    from netwarden.agent.runtime import AgentRuntime
    from netwarden.inventory.model import Inventory

    run_agent, load, apply = agent_run.run_agent, AgentRuntime.load, AgentRuntime.apply

    def marked_run_agent(
        options: agent_run.RunOptions, enrolled: agent_run.EnrolledMode, spool_dir: Path | None
    ) -> None:
        mark("options-parsed")
        run_agent(options, enrolled, spool_dir)

    def marked_load(self: AgentRuntime) -> Inventory:
        mark("load-start")
        inventory = load(self)
        mark("inventory-loaded")
        return inventory

    def marked_apply(self: AgentRuntime, inventory: Inventory) -> None:
        apply(self, inventory)
        mark("inventory-applied")

    agent_run.run_agent = marked_run_agent
    AgentRuntime.load = marked_load  # type: ignore[method-assign]
    AgentRuntime.apply = marked_apply  # type: ignore[method-assign]


def main() -> None:
    mark = Marks(Path(sys.argv[1]))
    mark("interpreter")
    import netwarden.agent.agent_run  # noqa: F401 - the imports `agent run` makes, measured
    from netwarden.cli import main as cli_main

    mark("imports")
    _instrument(mark)
    sys.argv = ["netwarden", *sys.argv[2:]]
    cli_main()


if __name__ == "__main__":
    main()
