"""PLAYBOOK STEPS (issue 18): the built-in link-down playbook's run on the incident.

The incident's line down starts the built-in ``link-down`` playbook (it ships in the package:
the collector needs no ``--playbooks`` for it). From the core side at once: ping and
traceroute to the agency end and the core interface over SNMP, each step's output kept as
evidence in the incident (source ``agent:agent-core``). Its last step is for the agency's own
agent, cut off with the line: it waits in the collector's job queue (``dispatched``) and runs
once the line is back; its evidence then joins the incident (source ``agent:agent-so-khcn``),
the run ends, and only then may the incident resolve by itself (docs/playbooks.md, "Runs").

Read through ``playbook runs --incident ID --output json`` (``{"runs": [...]}``) and
``playbook show RUN --output json`` (the run with its ``steps``), as an admin would.
"""

from __future__ import annotations

from typing import Any

from netwarden.lab.demo.context import CUT_AGENT, Demo
from netwarden.lab.demo.runner import StepFailed
from netwarden.lab.demo.shell import wait_for

PLAYBOOK = "link-down"  # the built-in playbook's id
CORE_AGENT = "agent-core"
CORE_STEPS = ("ping_far", "core_interface", "traceroute_far")
AGENCY_STEP = "agency_side"


def core_side_run(d: Demo) -> None:
    """The link-down playbook ran on the incident from the core side, its evidence is in the
    incident from the core's agent, and the agency-side step waits in the queue for the line."""
    env = d.collector_env("viewer")
    run = wait_for("the link-down playbook's run on the incident", lambda: _run(d), 60)
    d.playbook_run = str(run["id"])
    d.shell.netwarden("playbook", "runs", "--incident", d.incident, env=env)
    shown = wait_for(
        f"{d.playbook_run}'s core-side steps done, the agency-side step queued",
        lambda: _queued(d),
        90,
    )
    steps = _steps(shown)
    for step in CORE_STEPS:
        if steps[step]["agent"] != CORE_AGENT or steps[step]["status"] != "ok":
            raise StepFailed(f"{d.playbook_run} step {step}: {_brief(steps[step])}, not ok on core")
    if steps["ping_far"]["output"]["received"] != 0:
        raise StepFailed("the core still reaches the agency end across the cut line")
    agency = steps[AGENCY_STEP]
    if agency["agent"] != CUT_AGENT:
        raise StepFailed(f"the agency-side step waits for {agency['agent']}, not {CUT_AGENT}")
    d.shell.netwarden("playbook", "show", d.playbook_run, env=env)
    evidence = _evidence(d, CORE_AGENT)
    if sorted(str(e["step"]) for e in evidence) != sorted(_keys(d, CORE_STEPS)):
        raise StepFailed(f"evidence from {CORE_AGENT}: {[e['step'] for e in evidence]}")
    for item in evidence:
        d.shell.say(
            f"  evidence {item['step']:<36} source {item['source']}"
            f"  {item['size']:>5} bytes  sha256 {str(item['sha256'])[:16]}…"
        )
    d.shell.say(f"  {AGENCY_STEP}: dispatched to {CUT_AGENT}, waiting for the line")


def agency_side_step(d: Demo) -> None:
    """After the repair the step queued for the agency's own agent ran there, reached the core
    end, and its evidence joined the incident; the run ended, the incident still open then."""
    env = d.collector_env("viewer")
    done = wait_for(f"{d.playbook_run}'s end", lambda: _ended(d), 90)
    agency = _steps(done)[AGENCY_STEP]
    if done["status"] != "succeeded":
        raise StepFailed(f"{d.playbook_run} {done['status']}: {done.get('reason')}")
    if agency["status"] != "ok" or agency["agent"] != CUT_AGENT:
        raise StepFailed(f"{AGENCY_STEP}: {_brief(agency)}, not ok on {CUT_AGENT}")
    if agency["output"]["received"] == 0:
        raise StepFailed(f"{CUT_AGENT} does not reach the core end after the repair")
    d.agency_step_ended = float(agency["ended_at"])
    if d.agency_step_ended < d.restored_at:
        raise StepFailed(f"{AGENCY_STEP} ended before the line was restored")
    d.shell.netwarden("playbook", "show", d.playbook_run, env=env)
    evidence = _evidence(d, CUT_AGENT)
    if [e["step"] for e in evidence] != _keys(d, (AGENCY_STEP,)):
        raise StepFailed(f"evidence from {CUT_AGENT}: {[e['step'] for e in evidence]}")
    d.shell.say(
        f"  evidence {evidence[0]['step']} source {evidence[0]['source']}"
        f", queued {d.restored_at - agency['started_at']:.1f} s before the repair,"
        f" done {d.agency_step_ended - d.restored_at:.1f} s after it"
    )


def _run(d: Demo) -> dict[str, Any] | None:
    runs = d.cli_json("playbook", "runs", "--incident", d.incident, role="viewer")["runs"]
    return next((dict(r) for r in runs if r["playbook"] == PLAYBOOK), None)


def _show(d: Demo) -> dict[str, Any]:
    shown: dict[str, Any] = d.cli_json("playbook", "show", d.playbook_run, role="viewer")
    return shown


def _steps(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each step's last attempt, by step id."""
    return {str(s["step"]): s for s in run["steps"]}


def _queued(d: Demo) -> dict[str, Any] | None:
    shown = _show(d)
    agency = _steps(shown).get(AGENCY_STEP)
    if shown["status"] != "running" and agency is None:
        raise StepFailed(f"{d.playbook_run} {shown['status']} before its agency-side step")
    return shown if agency is not None and agency["status"] == "dispatched" else None


def _ended(d: Demo) -> dict[str, Any] | None:
    shown = _show(d)
    return shown if shown["status"] not in ("running", "waiting") else None


def _evidence(d: Demo, agent: str) -> list[dict[str, Any]]:
    """The run's evidence in the incident from ``agent`` (other evidence, such as the devices'
    events attached when the incident resolves, is not the run's)."""
    shown = d.collector_get(f"incidents/{d.incident}")
    return [
        e
        for e in shown["evidence"]
        if e["source"] == f"agent:{agent}" and str(e["step"]).startswith(f"{d.playbook_run}/")
    ]


def _keys(d: Demo, steps: tuple[str, ...]) -> list[str]:
    return [f"{d.playbook_run}/{step}" for step in steps]


def _brief(step: dict[str, Any]) -> str:
    error = f" ({step['error']})" if step.get("error") else ""
    return f"{step['status']} on {step['agent']}{error}"
