"""The demo's steps, in order. Each is one small function that does one thing and checks it."""

from __future__ import annotations

from collections.abc import Callable

from netwarden.lab.demo import events_step, fault_steps, playbook_step, start_steps
from netwarden.lab.demo.context import CUT_LINK, Demo
from netwarden.lab.demo.runner import Step


def demo_steps(d: Demo) -> list[Step]:
    def step(title: str, do: Callable[[Demo], None]) -> Step:
        return Step(title, lambda: do(d))

    return [
        step("bring the lab province up", start_steps.lab_up),
        step("start the collector (SQLite, its own CA)", start_steps.collector),
        step("render the rules, generate Alertmanager's config", start_steps.alerting),
        step("enrol and start an agent per site", start_steps.agents),
        step("start Prometheus and Alertmanager", start_steps.monitoring),
        step("fleet status: every agent up", start_steps.fleet),
        step("the NAT'd agency's metrics arrive by push", start_steps.pushed),
        step(f"cut link {CUT_LINK}", fault_steps.cut),
        step("people get one notification", fault_steps.page),
        step("the alerts it inhibited", fault_steps.inhibited),
        step("the incident, affected sites, security levels", fault_steps.incident),
        step(
            "the agency switch's linkDown trap, at its cut-off agent",
            events_step.trap_at_the_agency,
        ),
        # the incident's line down started the built-in link-down playbook (issue 18)
        step("link-down playbook: evidence from the core side", playbook_step.core_side_run),
        step("Mẫu 03 draft: Markdown, .docx, PDF", fault_steps.report),
        step(f"restore link {CUT_LINK}", fault_steps.restore),
        step("queued agency-side playbook step arrives", playbook_step.agency_side_step),
        step("the trap's events reach the collector", events_step.trap_events_arrive),
        step("incident resolved, with its timeline", fault_steps.resolved),
        step("availability report for the day", fault_steps.availability),
    ]
