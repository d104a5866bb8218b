"""PLAYBOOK STEPS (issue 18): the link-down playbook's run, written against issue 18's contract.

Issue 18 (``netwarden playbook ...``, the built-in link-down playbook, agent actions) is not on
main yet. These two steps switch themselves on when the installed netwarden has the
``playbook`` command; until then they are reported as *skipped* in the timeline (never as done).

What they expect, from issue 18's text:

* an alert that opens an incident starts the matching playbooks: the built-in link-down
  playbook runs for ``link/<id>`` — from the core side at once (ping, traceroute, SNMP of the
  core interface, ``evidence: true``), and a step for the cut-off agency's own agent that waits
  in the collector's job queue and runs when the line is back;
* ``netwarden playbook runs --incident INC --output json`` lists the incident's runs;
* ``netwarden playbook show RUN [--output text|json]`` shows a run, its steps, agents, outcomes;
* every step's output with ``evidence: true`` is evidence in the incident (with its SHA-256),
  source ``agent:<id>`` and the step.

The JSON field names below (``runs``, ``id``, ``playbook``, ``steps``, ``status``, ``agent``)
are the natural reading of that contract; check them against issue 18's ``--output json`` once
it lands (docs/tour.md, "The steps waiting for issues 18 and 20").
"""

from __future__ import annotations

import functools
import subprocess
from typing import Any

from netwarden.lab.demo.context import CUT_AGENT, Demo
from netwarden.lab.demo.runner import StepFailed, StepSkipped
from netwarden.lab.demo.shell import NETWARDEN, wait_for

LINK_DOWN_PLAYBOOK = "link-down"  # a substring of the built-in playbook's id


@functools.cache
def playbooks_installed() -> bool:
    """True when the installed netwarden has issue 18's ``playbook`` command."""
    done = subprocess.run(
        [*NETWARDEN, "playbook", "--help"], capture_output=True, timeout=60, check=False
    )
    return done.returncode == 0


def core_side_run(d: Demo) -> None:
    """The link-down playbook ran on the incident from the core side; its evidence is in the
    incident, from the core's agent."""
    _require()
    run = wait_for("the link-down playbook's run on the incident", lambda: _run(d), 60)
    evidence = wait_for(
        "the playbook's evidence from the core side",
        lambda: [e for e in _evidence(d) if str(e.get("source", "")) == "agent:agent-core"],
        60,
    )
    d.shell.netwarden("playbook", "show", str(run["id"]), env=d.collector_env("viewer"))
    for item in evidence:
        d.shell.say(
            f"  evidence: {item['name']} ({item['size']} bytes, sha256"
            f" {str(item['sha256'])[:16]}…, step {item.get('step')})"
        )


def agency_side_step(d: Demo) -> None:
    """After the repair, the step queued for the agency's own agent ran and its evidence
    joined the incident."""
    _require()
    evidence = wait_for(
        "the queued agency-side step's evidence",
        lambda: [e for e in _evidence(d) if str(e.get("source", "")) == f"agent:{CUT_AGENT}"],
        90,
    )
    run = _run(d)
    if run is None:
        raise StepFailed("the link-down playbook's run is gone")
    d.shell.netwarden("playbook", "show", str(run["id"]), env=d.collector_env("viewer"))
    for item in evidence:
        d.shell.say(f"  evidence from {CUT_AGENT}: {item['name']} (step {item.get('step')})")


def _require() -> None:
    if not playbooks_installed():
        raise StepSkipped("playbooks (issue 18) are not merged yet: no `netwarden playbook`")


def _run(d: Demo) -> dict[str, Any] | None:
    runs = d.cli_json("playbook", "runs", "--incident", d.incident, role="viewer")
    for run in runs.get("runs", []) if isinstance(runs, dict) else runs:
        if LINK_DOWN_PLAYBOOK in str(run.get("playbook", "")):
            return dict(run)
    return None


def _evidence(d: Demo) -> list[dict[str, Any]]:
    shown = d.collector_get(f"incidents/{d.incident}")
    return list(shown.get("evidence", []))
