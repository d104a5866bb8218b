"""Issue 14 on the lab: one page per broken agency, not a storm.

The fleet of the lab (the collector in the data centre, an enrolled agent in every site, each
in its namespace) watched by a real Prometheus with netwarden's rules (rendered from
prometheus/thresholds.yml with tests/lab/alerting-thresholds.yml's shorter durations) and a
real Alertmanager with the configuration `netwarden alerting generate` writes for the lab's
inventory. A webhook receiver on loopback stands in for people, the on-duty lead and the dead
man's switch. Then an agency's line is cut, and later an agency's agent is stopped: each time
people get one notification group (and one resolved), and everything else that fires for the
agency is listed as inhibited by Alertmanager.

The collector's alert webhook may not exist yet (another issue builds it): Alertmanager then
gets 404 from it and retries, which must not touch the people's route.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from netwarden.inventory import load_inventory
from tests.lab.alerting_stack import (
    Alertmanager,
    Notification,
    RulesPrometheus,
    WebhookSink,
    free_port_in,
    quicker_polls,
)
from tests.lab.conftest import Lab
from tests.lab.fleet_lab import (
    LabAgent,
    LabCollector,
    enroll_together,
    netwarden,
    ok,
    stop_all,
    wait_for,
)

# The budget counts the first test's share of the module's fleet start, which took up to
# 140 s at a load of 20 (lab tier -n 4 beside other engineers' runs): a hang bound, no more.
pytestmark = pytest.mark.timeout(600)

REPO = Path(__file__).parents[2]
THRESHOLDS = [
    REPO / "prometheus" / "thresholds.yml",
    Path(__file__).with_name("alerting-thresholds.yml"),
]
DC_HOST_NS, DC_HOST = "nwl-dc-db", "198.18.10.6"
HEARTBEAT, SUMMARY, STALE_AFTER = 1.0, 2.0, "4s"
# agent id -> (namespace, address its /metrics listens on)
AGENTS = {
    "agent-core": ("nwl-core", "198.18.100.1"),
    "agent-so-khcn": ("nwl-a1", "198.18.1.2"),
    "agent-so-tc": ("nwl-a2", "198.18.2.2"),
    "agent-p-phan-dinh-phung": ("nwl-a3", "198.18.1.2"),  # behind NAT: pushes, never scraped
    "agent-dc": ("nwl-dc", "198.18.10.1"),
}
SCRAPED = sorted(set(AGENTS) - {"agent-p-phan-dinh-phung"})
CUT_LINK, CUT_SITE = "tsl-so-khcn", "so-khcn"
STOPPED_AGENT, STOPPED_SITE = "agent-so-tc", "so-tc"
PEOPLE, LEAD, DEADMAN = "/people", "/lead", "/deadman"
# Alertmanager flushes a group every group_interval (1 s here; no CPU to speak of): a
# notification that was going to be sent has been sent after two of those; four leave room
# for a loaded machine.
QUICK = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
SETTLE = 4.0
# The core router sees the cut line: polled every 2 s instead of the lab's 5 s, the line down
# fires sooner and well before the agent down it must hold back (alerting-thresholds.yml).
QUICK_POLLS = {"core-rtr": "2s"}


@dataclass
class Stack:
    lab: Lab
    tmp: Path
    collector: LabCollector
    agents: dict[str, LabAgent]
    sink: WebhookSink
    alertmanager: Alertmanager
    prometheus: RulesPrometheus
    timings: dict[str, float]

    def people_since(self, start: float) -> list[Notification]:
        return [n for n in self.sink.received(PEOPLE) if n.at >= start]

    def active(self) -> list[dict[str, Any]]:
        """Alertmanager's alerts that are not resolved (active, suppressed, unprocessed)."""
        return self.alertmanager.alerts()


def _render_rules(folder: Path) -> Path:
    args = [arg for path in THRESHOLDS for arg in ("--thresholds", str(path))]
    ok(
        netwarden(
            "alerting",
            "rules",
            *args,
            "--rules-dir",
            str(folder / "rules"),
            "--test-rules-dir",
            str(folder / "test-rules"),
        )
    )
    return folder / "rules"


def _alertmanager_config(tmp: Path, inventory: str, collector: LabCollector, sink: str) -> Path:
    """alerting.yaml for the lab, then `netwarden alerting generate --output` and amtool."""
    token = collector.user_token("alertmanager", "responder")
    (tmp / "collector-alerts.token").write_text(token)
    config = {
        "collector": {
            "url": collector.url,
            "ca_file": str(collector.ca_file),
            "token_file": str(tmp / "collector-alerts.token"),
            "timing": QUICK,
        },
        "receivers": {
            "people": {"webhook": [{"url": sink + PEOPLE}]},
            "lead": {"webhook": [{"url": sink + LEAD}]},
            "deadman": {"webhook": [{"url": sink + DEADMAN}]},
        },
        "people": {"receiver": "people", "timing": QUICK},
        "escalation": {"receiver": "lead"},
        "watchdog": {"receiver": "deadman", "repeat_interval": "1m"},
    }
    (tmp / "alerting.yaml").write_text(yaml.safe_dump(config))
    out = tmp / "alertmanager.yml"
    ok(
        netwarden(
            "alerting",
            "generate",
            "-i",
            inventory,
            "--config",
            str(tmp / "alerting.yaml"),
            "--output",
            str(out),
        )
    )
    assert out.stat().st_mode & 0o777 == 0o600
    check = subprocess.run(
        ["amtool", "check-config", str(out)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    return out


def _start_fleet(lab: Lab, tmp: Path, inventory: str) -> tuple[LabCollector, dict[str, LabAgent]]:
    listen = f"{DC_HOST}:{free_port_in(DC_HOST_NS, DC_HOST)}"
    collector = LabCollector(DC_HOST_NS, listen, inventory, tmp / "collector" / "data", STALE_AFTER)
    collector.start()
    (tmp / "agents").mkdir()
    agents = {
        agent_id: LabAgent(
            agent_id, ns, f"{address}:{free_port_in(ns, address)}", tmp / "agents" / agent_id
        )
        for agent_id, (ns, address) in AGENTS.items()
    }
    tokens = collector.join_tokens(agents)
    collector.fetch_ca(expected_sha256=next(iter(tokens.values())).split(".")[2])
    enroll_together(list(agents.values()), collector.url, tokens)
    for agent in agents.values():
        agent.start(advertise=True, heartbeat=HEARTBEAT, summary=SUMMARY)
    # Five agents start at once: at a load of 30+ the last serves a minute later (a hang bound).
    for agent in agents.values():
        agent.wait_serving(timeout=120)
    return collector, agents


def _wait_watching(stack: Stack) -> None:
    """Every pulled agent scraped and up, the collector too, the rules loaded."""

    def ready() -> bool:
        up = {
            (t["labels"]["job"], t["labels"].get("agent", "")): t["health"]
            for t in stack.prometheus.targets()
        }
        agents_up = all(up.get(("netwarden-agents", a)) == "up" for a in SCRAPED)
        return agents_up and up.get(("netwarden-collector", "")) == "up"

    wait_for(
        "Prometheus scraping every pulled agent and the collector",
        ready,
        90,
        every=0.5,
        describe=stack.prometheus.targets,
    )
    groups = {g["name"] for g in stack.prometheus.rule_groups()}
    assert {"netwarden-links", "netwarden-fleet", "netwarden-devices"} <= groups, groups


@contextmanager
def running_stack(lab: Lab, prefix: str) -> Iterator[Stack]:
    """The lab's fleet watched by Prometheus and Alertmanager, everything ended on exit."""
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    collector: LabCollector | None = None
    agents: dict[str, LabAgent] = {}
    sink = WebhookSink()
    alertmanager: Alertmanager | None = None
    prometheus: RulesPrometheus | None = None
    try:
        inventory = str(quicker_polls(lab.state.inventory, QUICK_POLLS, tmp / "inventory.yaml"))
        assert {a.id for a in load_inventory([Path(inventory)]).agents} == set(AGENTS), (
            "the lab's agents changed"
        )
        rules = _render_rules(tmp)
        collector, agents = _start_fleet(lab, tmp, inventory)
        config = _alertmanager_config(tmp, inventory, collector, sink.url)
        alertmanager = Alertmanager(tmp / "alertmanager", config)
        (tmp / "viewer.token").write_text(collector.user_token("prometheus", "viewer"))
        prometheus = RulesPrometheus(
            tmp / "prometheus",
            rules,
            collector.url.removeprefix("https://"),
            collector.ca_file,
            tmp / "viewer.token",
            alertmanager.url,
        )
        built = Stack(lab, tmp, collector, agents, sink, alertmanager, prometheus, {})
        _wait_watching(built)
        built.timings["stack started and watched (s)"] = round(time.monotonic() - began, 1)
        yield built
    finally:
        # The agents first: a stopping agent may still talk to the collector.
        stop_all([agent.proc for agent in agents.values()])
        stop_all([s.proc for s in (prometheus, alertmanager, collector) if s is not None])
        sink.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def stack(lab: Lab) -> Iterator[Stack]:
    with running_stack(lab, "nw-alerting-") as built:
        yield built
        _write_timings(built)


def _write_timings(stack: Stack) -> None:
    """The measured times, for the report (NW_ALERTING_TIMINGS=FILE)."""
    target = os.environ.get("NW_ALERTING_TIMINGS")
    if target:
        Path(target).write_text(json.dumps(stack.timings, indent=2) + "\n")


def _about(alert: dict[str, Any], sites: set[str], incident: str) -> bool:
    labels = alert["labels"]
    return labels.get("site") in sites or labels.get("incident") == incident


def _wait_quiet(stack: Stack, sites: set[str], incident: str) -> None:
    """Nothing about the agency active in Alertmanager (a previous fault has cleared)."""

    def quiet() -> bool:
        return not [a for a in stack.active() if _about(a, sites, incident)]

    wait_for(
        f"no alert about {sorted(sites)} in Alertmanager",
        quiet,
        120,
        every=0.5,
        describe=lambda: [a["labels"] for a in stack.active() if _about(a, sites, incident)],
    )


def _first(stack: Stack, start: float, status: str, group: dict[str, str]) -> Notification:
    def found() -> Notification | None:
        for note in stack.people_since(start):
            if note.status == status and note.group == group:
                return note
        return None

    return wait_for(
        f"people notified ({status}) of {group}",
        found,
        120,
        describe=lambda: [(n.status, n.group) for n in stack.people_since(start)],
    )


def _inhibited_by(alert: dict[str, Any], by: str, alerts: list[dict[str, Any]]) -> bool:
    """``alert`` is suppressed, and every alert that inhibits it is named ``by``."""
    names = {a["fingerprint"]: a["labels"]["alertname"] for a in alerts}
    sources = alert["status"]["inhibitedBy"]
    return (
        alert["status"]["state"] == "suppressed"
        and bool(sources)
        and all(names.get(fp) == by for fp in sources)
    )


def _hidden(stack: Stack, names: set[str], agent: str, by: str) -> None:
    """Wait until Alertmanager lists the alerts ``names`` of ``agent`` as inhibited
    (``GET /api/v2/alerts?inhibited=true``: state suppressed, inhibitedBy) by alerts ``by``."""

    def hidden() -> bool:
        alerts = stack.alertmanager.alerts()
        got = {
            a["labels"]["alertname"]
            for a in alerts
            if a["labels"].get("agent") == agent and _inhibited_by(a, by, alerts)
        }
        return names <= got

    wait_for(
        f"{sorted(names)} of {agent} inhibited by {by}",
        hidden,
        120,
        every=0.5,
        describe=lambda: [
            (a["labels"]["alertname"], a["labels"].get("agent"), a["status"])
            for a in stack.alertmanager.alerts()
        ],
    )


def _assert_templates_rendered(stack: Stack) -> None:
    for alert in stack.prometheus.alerts():
        for key, text in alert["annotations"].items():
            assert "error expanding" not in text and "<no value>" not in text, (key, text)


def _collector_was_sent_alerts(stack: Stack) -> float:
    """POSTs the collector answered on its alert webhook route (404 until it exists)."""
    with stack.collector.client() as client:
        text = client.get("/metrics").text
    total = 0.0
    for line in text.splitlines():
        if (
            line.startswith("netwarden_collector_requests_total{")
            and 'method="POST"' in line
            and ('route="/api/v1/alerts/alertmanager"' in line or 'route="unmatched"' in line)
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.skipif(
    os.environ.get("NW_LAB_REUSE") == "1",
    reason="cuts a WAN link: runs only on the module's own lab",
)
def test_a_cut_line_pages_once_for_its_agency(stack: Stack) -> None:
    link_group = {"site": "core", "incident": f"link/{CUT_LINK}"}
    _wait_quiet(stack, {CUT_SITE}, link_group["incident"])
    sent_to_collector = _collector_was_sent_alerts(stack)
    # Read before the cut: a notification it causes is later than this, but may be earlier
    # than a clock read after `lab fault` returns (a loaded machine may stall its exit).
    cut_at = time.time()
    ok(netwarden("lab", "fault", CUT_LINK, "down"))
    try:
        page = _first(stack, cut_at, "firing", link_group)
        stack.timings["line cut -> people notified (s)"] = round(page.at - cut_at, 1)
        assert page.alertnames() == ["NetwardenLinkDown"]
        (alert,) = page.body["alerts"]
        assert alert["labels"]["device"] == "core-rtr" and alert["labels"]["link"] == CUT_LINK
        assert alert["annotations"]["runbook_url"].endswith("runbooks/NetwardenLinkDown.md")
        assert CUT_LINK in alert["annotations"]["summary_vi"]
        # The agency's agent goes silent and its scrapes fail: both fire, both hidden.
        _hidden(
            stack,
            {"NetwardenAgentDown", "NetwardenAgentScrapeFailed"},
            "agent-so-khcn",
            by="NetwardenLinkDown",
        )
        stack.timings["line cut -> agent down and failed scrapes inhibited (s)"] = round(
            time.time() - cut_at, 1
        )
        # Every alert about the agency that is active at all is hidden, not just those two.
        about = [a for a in stack.active() if a["labels"].get("site") == CUT_SITE]
        assert about and all(a["status"]["state"] == "suppressed" for a in about), about
        _assert_templates_rendered(stack)
        time.sleep(SETTLE)  # bounded: give a wrong notification the time to arrive
        pages = [n for n in stack.people_since(cut_at) if n.status == "firing"]
        about_agency = [
            n for n in pages if n.group.get("site") == CUT_SITE or n.group == link_group
        ]
        assert about_agency == [page], [(n.group, n.alertnames()) for n in about_agency]
    finally:
        back_at = time.time()  # before the repair, as cut_at
        ok(netwarden("lab", "fault", CUT_LINK, "up"))
    resolved = _first(stack, back_at, "resolved", link_group)
    stack.timings["line back -> people notified resolved (s)"] = round(resolved.at - back_at, 1)
    _wait_quiet(stack, {CUT_SITE}, link_group["incident"])
    time.sleep(SETTLE)
    notes = [
        n
        for n in stack.people_since(cut_at)
        if n.group.get("site") == CUT_SITE or n.group == link_group
    ]
    assert [(n.status, n.group) for n in notes] == [
        ("firing", link_group),
        ("resolved", link_group),
    ], [(n.status, n.group, [a["labels"] for a in n.body["alerts"]]) for n in notes]
    # Meanwhile Alertmanager kept sending every alert to the collector's webhook first.
    assert _collector_was_sent_alerts(stack) > sent_to_collector


def test_a_stopped_agent_pages_once_for_its_agency(stack: Stack) -> None:
    agent_group = {"site": STOPPED_SITE, "incident": f"agent/{STOPPED_AGENT}"}
    _wait_quiet(stack, {STOPPED_SITE}, agent_group["incident"])
    agent = stack.agents[STOPPED_AGENT]
    # Read before the stop: stop() waits for the agent's exit (up to 30 s, SSH sessions in
    # flight first), and the page may come from a stop that began earlier than it returned.
    stopped_at = time.time()
    agent.stop()
    try:
        page = _first(stack, stopped_at, "firing", agent_group)
        stack.timings["agent stopped -> people notified (s)"] = round(page.at - stopped_at, 1)
        assert page.alertnames() == ["NetwardenAgentDown"]
        _hidden(stack, {"NetwardenAgentScrapeFailed"}, STOPPED_AGENT, by="NetwardenAgentDown")
        others = [
            a
            for a in stack.active()
            if a["labels"].get("site") == STOPPED_SITE
            and a["labels"]["alertname"] != "NetwardenAgentDown"
        ]
        assert all(a["status"]["state"] == "suppressed" for a in others), others
        time.sleep(SETTLE)
        pages = [
            n
            for n in stack.people_since(stopped_at)
            if n.status == "firing" and n.group.get("site") == STOPPED_SITE
        ]
        assert pages == [page], [(n.group, n.alertnames()) for n in pages]
    finally:
        started_at = time.time()  # before the start, as stopped_at
        agent.start(advertise=True, heartbeat=HEARTBEAT, summary=SUMMARY)
    resolved = _first(stack, started_at, "resolved", agent_group)
    stack.timings["agent restarted -> people notified resolved (s)"] = round(
        resolved.at - started_at, 1
    )
    _wait_quiet(stack, {STOPPED_SITE}, agent_group["incident"])
    time.sleep(SETTLE)
    notes = [n for n in stack.people_since(stopped_at) if n.group.get("site") == STOPPED_SITE]
    assert [(n.status, n.group) for n in notes] == [
        ("firing", agent_group),
        ("resolved", agent_group),
    ]


def test_the_watchdog_reaches_the_dead_mans_switch_and_never_people(stack: Stack) -> None:
    wait_for("the Watchdog at the dead man's switch", lambda: stack.sink.received(DEADMAN), 60)
    assert all(n.alertnames() == ["Watchdog"] for n in stack.sink.received(DEADMAN))
    assert not [n for n in stack.sink.received(PEOPLE) if "Watchdog" in n.alertnames()]
