"""Issue 18 end to end on the lab: a WAN line of the lab is cut; a real Prometheus evaluates
netwarden's rules on the agents' metrics, a real Alertmanager with the configuration
`netwarden alerting generate` writes posts to the collector; the incident opens and the
built-in link-down playbook runs from the core (ping, SNMP of the core interface, traceroute)
on the real agents; its evidence joins the incident; the line is restored, the agency's own
agent comes back and runs its queued step; the run ends and the incident resolves with its
full timeline.

Measured: the fault to the first evidence, and the webhook's arrival (the run's start, made
in the webhook's request) to the first evidence. ``NW_PLAYBOOK_TIMINGS=FILE`` writes them,
with one run's ``playbook show``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.lab.conftest import Lab
from tests.lab.fleet_lab import netwarden, ok, wait_for
from tests.lab.test_alerting_pages import Stack, running_stack

pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        os.environ.get("NW_LAB_REUSE") == "1",
        reason="cuts a WAN link: runs only on the module's own lab",
    ),
]

CUT_LINK, AGENCY_AGENT = "tsl-so-khcn", "agent-so-khcn"


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def stack(lab: Lab) -> Iterator[Stack]:
    with running_stack(lab, "nw-playbook-") as built:
        yield built


def _cli(stack: Stack, token: str, *args: str) -> str:
    env = {"NETWARDEN_COLLECTOR": stack.collector.url, "NETWARDEN_TOKEN": token}
    argv = ["playbook", *args, "--ca-file", str(stack.collector.ca_file)]
    return ok(netwarden(*argv, env=env))


def _get(stack: Stack, token: str, path: str) -> dict[str, Any]:
    """One API answer, as the CLI's ``--output json`` prints it (a poll costs no Python start)."""
    with stack.collector.client(token) as client:
        answer = client.get(path)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _runs(stack: Stack, token: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = _get(stack, token, "/api/v1/playbook-runs")["runs"]
    return found


def _run(stack: Stack, token: str, run_id: str) -> dict[str, Any]:
    return _get(stack, token, f"/api/v1/playbook-runs/{run_id}")


def _incident(stack: Stack, token: str, incident: str) -> dict[str, Any]:
    return _get(stack, token, f"/api/v1/incidents/{incident}")


def test_a_cut_line_runs_link_down_from_the_core_then_from_the_agency(stack: Stack) -> None:
    viewer = stack.collector.user_token("duty", "viewer")
    ok(netwarden("lab", "fault", CUT_LINK, "down"))
    cut_at = time.time()
    restored = False
    try:
        run = wait_for(
            "the link-down run",
            lambda: next((r for r in _runs(stack, viewer) if r["playbook"] == "link-down"), None),
            180,
            every=0.5,
            describe=lambda: stack.collector.log.read_text(errors="replace")[-2000:],
        )
        run_id, incident = run["id"], run["incident"]
        evidence = wait_for(
            "the first evidence",
            lambda: _incident(stack, viewer, incident)["evidence"],
            120,
            every=0.5,
        )
        first_evidence = _seconds(evidence[0]["at"])
        stack.timings["fault -> first evidence (s)"] = round(first_evidence - cut_at, 1)
        stack.timings["webhook -> first evidence (s)"] = round(
            first_evidence - run["created_at"], 1
        )

        def core_done() -> dict[str, Any] | None:
            shown = _run(stack, viewer, run_id)
            steps = {s["step"]: s for s in shown["steps"]}
            return shown if "agency_side" in steps else None

        shown = wait_for("the core steps done", core_done, 180, every=0.5)
        steps = {s["step"]: s for s in shown["steps"]}
        assert steps["ping_far"]["agent"] == "agent-core"
        assert steps["ping_far"]["status"] == "ok", steps["ping_far"]
        assert steps["ping_far"]["output"]["received"] == 0  # the line is cut
        assert steps["core_interface"]["status"] == "ok", steps["core_interface"]
        assert steps["traceroute_far"]["output"]["reached"] is False
        assert steps["agency_side"]["status"] == "dispatched"
        assert steps["agency_side"]["agent"] == AGENCY_AGENT
        assert shown["status"] == "running"
    finally:
        ok(netwarden("lab", "fault", CUT_LINK, "up"))
        restored = True
        stack.timings["fault -> line restored (s)"] = round(time.time() - cut_at, 1)
    assert restored
    wait_for(
        "the run's end",
        lambda: _run(stack, viewer, run_id)["status"] != "running",
        240,
        every=0.5,
    )
    stack.timings["fault -> run ended (s)"] = round(time.time() - cut_at, 1)
    # Once ended, the run as `playbook show -o json` prints it.
    done = json.loads(_cli(stack, viewer, "show", run_id, "-o", "json"))
    assert done["status"] == "succeeded", done
    agency = next(s for s in done["steps"] if s["step"] == "agency_side")
    assert agency["status"] == "ok" and agency["output"]["received"] > 0, agency
    resolved = wait_for(
        "the incident resolved",
        lambda: (i := _incident(stack, viewer, incident))["status"] == "resolved" and i,
        240,
        every=0.5,
    )
    stack.timings["fault -> incident resolved (s)"] = round(time.time() - cut_at, 1)
    assert resolved["resolved_by"] == "collector"
    # The steps' evidence, in order (the events of the incident's devices come as one more
    # file, without a step, when it resolves).
    assert [e["step"] for e in resolved["evidence"] if e["step"]] == [
        f"{run_id}/{s}" for s in ("ping_far", "core_interface", "traceroute_far", "agency_side")
    ]
    kinds = [t["kind"] for t in resolved["timeline"]]
    assert kinds.index("playbook") < kinds.index("evidence-added")
    lines = [t["text"] for t in resolved["timeline"]]
    assert any(f"{run_id} step agency_side (ping) ok on {AGENCY_AGENT}" in t for t in lines)
    # Resolved last; only the events of its devices are attached after it (issue 20).
    after = lines[[i for i, t in enumerate(lines) if t.startswith("resolved by itself")][-1] + 1 :]
    assert all("from collector:events" in t for t in after), after
    text = _cli(stack, viewer, "show", run_id)
    target = os.environ.get("NW_PLAYBOOK_TIMINGS")
    if target:
        Path(target).write_text(json.dumps(stack.timings, indent=2) + "\n\n" + text + "\n")
