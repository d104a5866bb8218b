"""Issue 18's service built-ins on the lab, each started as a person starts one
(`netwarden playbook run ID --alert FILE`, the alert shaped as Alertmanager posts it with the
labels the shipped rule produces) on a collector and agents running in the lab's namespaces,
against real faults of real peers; each run read back with `playbook show RUN --output json`:

- dc-host-resources: a DC host's /mnt (a tmpfs the lab gives it) filled to 94 %: `df` over
  SSH shows it, the conclusion names it;
- wifi-hotspot: agency 2's access point really down: the core reaches the site's switch, not
  the AP; the site's own agent neither (for_each over the site's APs); then agency 1's line cut:
  the core reaches nothing there (the uplink), the site's step waits for its agent's return;
- camera-group: the camera group's camera really down: all its cameras down (for_each);
- portal-down: the portal's port refused for everyone (the portal), then a second portal
  refused only to sources outside the data centre (the path), then the expired certificate;
- config-change: a port shut through the switch's CLI, backed up, the diff as the run's output.

And the engine's corners, on the same rig: an alert through the collector's webhook opens an
incident and starts a province playbook whose first step gets too little time: it times out,
the run goes on and e-mails a real SMTP server (aiosmtpd) on the lab's root address; the
step's result comes later and is kept on the step as late, with its evidence, the step and the
run unchanged. That slow step is started first and checked last, so its 80 s overlap the
other tests.

The `netwarden` commands run in the test's process (``tests/cli_in_process.py``: the CLI's own
``main``, the same parsing, requests and output; no interpreter start per command). Runs are
followed through the API; each run's end is read with `playbook show RUN --output json`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.lab.alerting_stack import free_port_in
from tests.lab.conftest import Lab
from tests.lab.fleet_lab import LabAgent, LabCollector, enroll_together, netwarden_here, ok
from tests.lab.test_playbook_actions import Agent
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(600)

COLLECTOR_NS, COLLECTOR_HOST = "nwl-dc-db", "198.18.10.6"
ROOT_ADDRESS = "198.19.255.1"  # the root namespace's end of the lab (routed from every site)
HEARTBEAT, SUMMARY, STALE_AFTER = 1.0, 2.0, "4s"
AGENTS = {
    "agent-core": ("nwl-core", "198.18.100.1"),
    "agent-so-khcn": ("nwl-a1", "198.18.1.2"),
    "agent-so-tc": ("nwl-a2", "198.18.2.2"),
    "agent-dc": ("nwl-dc", "198.18.10.1"),
}
MAIL_TO = "truc-ban@stttt.lab"
# A province playbook: a ping of 80 s given 1 s (its step times out 61 s after the agent took
# it: the timeout and the result's trip back), then an e-mail saying how it went. 80 s, not
# 64: the answer comes 19 s after the step's timeout, not 3, which a late engine pass on a
# loaded machine could eat (the step would then end ok, not timeout).
SLOW_PLAYBOOK = f"""
id: lab-slow-step
title: A step given too little time, then an e-mail
match:
  alertname: LabSlowStep
steps:
  - id: slow_ping
    title: 400 pings to the portal host from the core
    action: ping
    from: core
    args: {{host: 198.18.10.5, count: 400, interval: 0.2, timeout: 1}}
    timeout: 1s
    on_failure: continue
    evidence: true
  - id: mail
    action: notify
    args:
      email: {MAIL_TO}
      message: >-
        {{{{ run.id }}}}: slow_ping {{{{ steps.slow_ping.status }}}} on {{{{ labels.device }}}}
"""


class Mailbox:
    """A real SMTP server (aiosmtpd) on the lab's root address; keeps every message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        probe = socket.socket()
        probe.bind((ROOT_ADDRESS, 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.controller = Controller(self, hostname=ROOT_ADDRESS, port=self.port)
        self.controller.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def received(self) -> list[Message]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.controller.stop()


@dataclass
class Rig:
    lab: Lab
    tmp: Path
    collector: LabCollector
    agents: dict[str, LabAgent]
    mailbox: Mailbox
    responder: str
    viewer: str
    slow: dict[str, Any] = field(default_factory=dict)  # the slow run: its id, incident
    viewing: httpx.Client | None = None  # one API client for every poll (TLS set up once)

    def cli(self, *args: str) -> str:
        env = {"NETWARDEN_COLLECTOR": self.collector.url, "NETWARDEN_TOKEN": self.responder}
        # The CLI's own main in this process: the same parsing, requests and output, without
        # an interpreter start and every import (about 0.45 CPU-s) per command.
        return ok(
            netwarden_here("playbook", *args, "--ca-file", str(self.collector.ca_file), env=env)
        )

    def start(self, playbook: str, labels: dict[str, str], *inputs: str) -> str:
        """`playbook run ID --alert FILE`, the alert as Alertmanager posts it."""
        path = self.tmp / f"alert-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(webhook(labels)))
        given = [arg for value in inputs for arg in ("--input", value)]
        found = json.loads(self.cli("run", playbook, "--alert", str(path), *given, "-o", "json"))
        return str(found["id"])

    def api(self, path: str) -> Any:
        if self.viewing is None:
            self.viewing = self.collector.client(self.viewer)
        answer = self.viewing.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def finished(self, run_id: str, timeout: float = 90) -> dict[str, Any]:
        """Wait for the run's end; then the run as `playbook show RUN --output json` shows it."""
        wait_for(
            f"run {run_id} ended",
            lambda: self.api(f"/api/v1/playbook-runs/{run_id}")["status"] != "running",
            timeout,
            every=0.5,
            describe=lambda: self.api(f"/api/v1/playbook-runs/{run_id}"),
        )
        shown: dict[str, Any] = json.loads(self.cli("show", run_id, "--output", "json"))
        assert shown["status"] == "succeeded", shown
        return shown

    def job(self, agent: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """A job through the collector's API, and its result."""
        with self.collector.client(self.responder) as client:
            posted = client.post(
                f"/api/v1/agents/{agent}/jobs", json={"kind": kind, "params": params}
            )
            assert posted.status_code == 200, posted.text
            job = posted.json()["id"]

            def answered() -> dict[str, Any] | None:
                found = client.get(f"/api/v1/agents/{agent}/results", params={"limit": 1000})
                results = found.json()["results"]
                return next((r["payload"] for r in results if r.get("job") == job), None)

            result = wait_for(f"job {kind} on {agent}", answered, 90, every=0.5)
        assert result["ok"], result
        return dict(result)


def webhook(labels: dict[str, str]) -> dict[str, Any]:
    """A version-4 Alertmanager webhook body with one firing alert."""
    starts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {"summary": f"{labels['alertname']} (lab test)"},
        "startsAt": starts,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.lab/graph",
        "fingerprint": uuid.uuid4().hex[:16],
    }
    return {
        "receiver": "collector",
        "status": "firing",
        "alerts": [alert],
        "groupLabels": {"alertname": labels["alertname"]},
        "commonLabels": labels,
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.lab",
        "version": "4",
        "groupKey": "{}:" + f"{{alertname={labels['alertname']!r}}}",
        "truncatedAlerts": 0,
    }


def _start_fleet(lab: Lab, tmp: Path, playbooks: Path, mailbox: Mailbox, cleanup: ExitStack) -> Rig:
    """The collector and the agents, each stopped by ``cleanup`` however the start ends."""
    listen = f"{COLLECTOR_HOST}:{free_port_in(COLLECTOR_NS, COLLECTOR_HOST)}"
    collector = LabCollector(
        COLLECTOR_NS, listen, lab.state.inventory, tmp / "collector" / "data", STALE_AFTER
    )
    collector.argv += ["--playbooks", str(playbooks), "--smtp", f"{ROOT_ADDRESS}:{mailbox.port}"]
    collector.argv += ["--mail-from", "netwarden@stttt.lab"]
    cleanup.callback(collector.stop)
    collector.start()
    agents: dict[str, LabAgent] = {}
    rig = Rig(lab, tmp, collector, agents, mailbox, "", "")
    cleanup.callback(lambda: rig.viewing.close() if rig.viewing is not None else None)
    for agent_id, (ns, address) in AGENTS.items():
        agents[agent_id] = LabAgent(
            agent_id, ns, f"{address}:{free_port_in(ns, address)}", tmp / "agents" / agent_id
        )
        cleanup.callback(agents[agent_id].stop)
    joins = collector.join_tokens(agents)
    collector.fetch_ca(expected_sha256=joins["agent-core"].split(".")[2])
    enroll_together(agents.values(), collector.url, joins)
    for agent in agents.values():
        agent.start(advertise=True, heartbeat=HEARTBEAT, summary=SUMMARY)
    rig.responder = collector.user_token("duty", "responder")
    rig.viewer = collector.user_token("watch", "viewer")
    for agent in agents.values():
        agent.wait_serving()
    wait_for(
        "every agent heard from",
        lambda: {a["id"] for a in _fleet(rig) if a["state"] == "up"} >= set(AGENTS),
        60,
        every=0.5,
        describe=lambda: _fleet(rig),
    )
    return rig


def _fleet(rig: Rig) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = rig.api("/api/v1/fleet")["agents"]
    return found


def _start_slow_run(rig: Rig) -> None:
    """The alert through the collector's webhook: an incident, the province playbook started."""
    labels = {"alertname": "LabSlowStep", "severity": "warning", "device": "core-rtr"}
    with rig.collector.client(rig.responder) as client:
        answer = client.post("/api/v1/alerts/alertmanager", json=webhook(labels))
    assert answer.status_code == 200, answer.text
    incident = answer.json()["incidents"][0]

    def started() -> dict[str, Any] | None:
        runs = rig.api(f"/api/v1/playbook-runs?incident={incident}")["runs"]
        return next((r for r in runs if r["playbook"] == "lab-slow-step"), None)

    run = wait_for("the slow run started", started, 30, every=0.3)
    rig.slow = {"run": run["id"], "incident": incident, "at": time.time()}


@pytest.fixture(scope="module")
def rig(lab: Lab) -> Iterator[Rig]:
    tmp = Path(tempfile.mkdtemp(prefix="nw-services-"))
    (tmp / "agents").mkdir()
    playbooks = tmp / "playbooks"
    playbooks.mkdir()
    (playbooks / "lab-slow-step.yaml").write_text(SLOW_PLAYBOOK)
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, tmp, ignore_errors=True)
        mailbox = Mailbox()
        cleanup.callback(mailbox.close)
        built = _start_fleet(lab, tmp, playbooks, mailbox, cleanup)
        _start_slow_run(built)
        yield built


def _steps(shown: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["step"]: s for s in shown["steps"]}


def _lab_fault(target: str, state: str) -> None:
    ok(netwarden_here("lab", "fault", target, state))


def _resident(lab: Lab, device: str) -> int:
    return next(p.pid for p in lab.state.processes if p.name == f"resident {device}")


def _in_host(lab: Lab, device: str, *argv: str) -> str:
    """A command in the lab host's own namespaces (its private /mnt)."""
    pid = str(_resident(lab, device))
    done = subprocess.run(["nsenter", "-t", pid, "-m", "-n", "--", *argv], capture_output=True,
                          text=True, timeout=30, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- dc-host-resources ------------------------------------------------------------------------
def test_dc_host_disk_full_shows_in_the_evidence(rig: Rig) -> None:
    host = "dc-db-01"
    _in_host(rig.lab, host, "fallocate", "-l", "8M", "/mnt/nw-test-fill.bin")
    try:
        df_line = _in_host(rig.lab, host, "df", "-hP", "/mnt").splitlines()[1].split()
        assert int(df_line[4].rstrip("%")) >= 90  # below the rule's 10 % free
        labels = {
            "alertname": "NetwardenHostDiskFull",
            "severity": "warning",
            "incident": f"device/{host}",
            "device": host,
            "site": "dc",
            "mountpoint": "/mnt",
            "fstype": "tmpfs",
            "agent": "agent-dc",
        }
        shown = rig.finished(rig.start("dc-host-resources", labels))
    finally:
        _in_host(rig.lab, host, "rm", "-f", "/mnt/nw-test-fill.bin")
    steps = _steps(shown)
    assert list(steps) == ["disk", "inodes", "memory", "load", "top_cpu", "top_memory"]
    for step in steps.values():
        assert (step["status"], step["agent"]) == ("ok", "agent-dc"), step
        assert step["output"]["device"] == host and step["text"]
    mnt = [line.split() for line in steps["disk"]["output"]["output"].splitlines()]
    assert ["/mnt"] in [fields[5:] for fields in mnt]
    assert next(f for f in mnt if f[5:] == ["/mnt"])[4] == df_line[4]
    assert "Mem:" in steps["memory"]["output"]["output"]
    assert "load average" in steps["load"]["output"]["output"]
    assert steps["top_cpu"]["output"]["output"].strip().startswith("USER")
    assert (
        f"{host}: /mnt is {df_line[4]} full ({df_line[3]} left of {df_line[1]}, nwl-data)."
        in shown["conclusions"]
    )
    assert any(line.startswith("Top process by CPU: ") for line in shown["conclusions"])


# --- wifi-hotspot -----------------------------------------------------------------------------
def test_a_hotspot_really_down_is_the_hotspot_not_the_uplink(rig: Rig) -> None:
    labels = {
        "alertname": "NetwardenHotspotUnavailable",
        "severity": "warning",
        "incident": "group/so-tc",
        "site": "so-tc",
    }
    _lab_fault("ap-so-tc", "down")
    try:
        shown = rig.finished(rig.start("wifi-hotspot", labels))
    finally:
        _lab_fault("ap-so-tc", "up")
    steps = _steps(shown)
    uplink, core, local, web = (
        steps[s] for s in ("uplink_core", "aps_core", "aps_local", "aps_web")
    )
    assert [(o["host"], o["received"] > 0) for o in uplink["output"]] == [("198.18.2.2", True)]
    assert uplink["agent"] == "agent-core"
    assert [(o["host"], o["received"]) for o in core["output"]] == [("198.18.2.60", 0)]
    assert (local["agent"], local["jobs"][0]["item"]["id"]) == ("agent-so-tc", "ap-so-tc")
    assert [(o["device"], o["received"]) for o in local["output"]] == [("ap-so-tc", 0)]
    assert [o["connected"] for o in web["output"]] == [False]
    assert any("the hotspot is down" in line for line in shown["conclusions"]), shown
    assert not any("uplink (its line" in line for line in shown["conclusions"])


@pytest.mark.skipif(
    os.environ.get("NW_LAB_REUSE") == "1", reason="cuts a WAN link: runs only on its own lab"
)
def test_a_hotspot_behind_a_cut_uplink_is_the_uplink(rig: Rig) -> None:
    labels = {
        "alertname": "NetwardenHotspotUnavailable",
        "severity": "warning",
        "incident": "group/so-khcn",
        "site": "so-khcn",
    }
    _lab_fault("tsl-so-khcn", "down")
    try:
        run_id = rig.start("wifi-hotspot", labels)

        def core_done() -> dict[str, Any] | None:
            run = rig.api(f"/api/v1/playbook-runs/{run_id}")
            return run if "aps_local" in _steps(run) else None

        # The core's steps end; the site's own agent is cut off: its step waits in the queue.
        run = wait_for("the core's steps", core_done, 60, every=0.3)
        steps = _steps(run)
        assert [o["received"] for o in steps["uplink_core"]["output"]] == [0]
        assert [o["received"] for o in steps["aps_core"]["output"]] == [0]
        assert (steps["aps_local"]["status"], steps["aps_local"]["agent"]) == (
            "dispatched",
            "agent-so-khcn",
        )
    finally:
        _lab_fault("tsl-so-khcn", "up")
    shown = rig.finished(run_id, timeout=180)  # the agent comes back and answers its step
    assert [o["received"] > 0 for o in _steps(shown)["aps_local"]["output"]] == [True]
    assert shown["conclusions"][0] == (
        "The core reaches none of Sở Khoa học và Công nghệ's switches or routers: the site's "
        "uplink (its line, or its power) is down, not the hotspot itself."
    )
    assert not any("the hotspot is down" in line for line in shown["conclusions"])


# --- camera-group -----------------------------------------------------------------------------
def test_a_camera_group_all_down_points_at_what_the_cameras_share(rig: Rig) -> None:
    group, camera = "cam-qt-vo-nguyen-giap", "cam-qt-vo-nguyen-giap-01"
    labels = {
        "alertname": "NetwardenCameraGroupUnavailable",
        "severity": "warning",
        "incident": f"group/{group}",
        "site": group,
    }
    _lab_fault(camera, "down")
    try:
        shown = rig.finished(rig.start("camera-group", labels))
    finally:
        _lab_fault(camera, "up")
    steps = _steps(shown)
    cameras, streams = steps["cameras"], steps["streams"]
    assert [j["item"]["id"] for j in cameras["jobs"]] == [camera]  # for_each: the group's
    assert [j["agent"] for j in cameras["jobs"]] == ["agent-so-tc"]  # polled by agency 2's agent
    assert [(o["device"], o["sent"], o["received"]) for o in cameras["output"]] == [(camera, 5, 0)]
    assert [o["connected"] for o in streams["output"]] == [False]
    assert any(line.startswith("All 1 cameras of ") and "are down" in line
               for line in shown["conclusions"]), shown  # fmt: skip


def test_a_camera_group_that_answers_says_so(rig: Rig) -> None:
    labels = {
        "alertname": "NetwardenCameraGroupUnavailable",
        "severity": "warning",
        "incident": "group/so-khcn",
        "site": "so-khcn",
    }
    shown = rig.finished(rig.start("camera-group", labels))
    cameras = _steps(shown)["cameras"]
    assert [(o["device"], o["received"] > 0) for o in cameras["output"]] == [("cam-so-khcn", True)]
    assert cameras["agent"] == "agent-so-khcn"
    assert [line.split(" answers now")[0] for line in shown["conclusions"]] == [
        "Every camera of Sở Khoa học và Công nghệ"  # the site's name from the inventory
    ], shown


# --- portal-down / TLS ------------------------------------------------------------------------
@contextmanager
def _portal_refused(port: int, *, only_outside_dc: bool) -> Iterator[None]:
    """nftables in the portal's host: its port answers RST (to everyone, or to sources outside
    the data centre's LAN: a broken path, the portal itself fine)."""
    match = "ip saddr != 198.18.10.0/24 " if only_outside_dc else ""
    rules = (
        "table inet nwtest {\n chain input {\n"
        "  type filter hook input priority 0; policy accept;\n"
        f"  {match}tcp dport {port} reject with tcp reset\n }}\n}}\n"
    )
    subprocess.run(["ip", "netns", "exec", "nwl-dc-web", "nft", "-f", "-"], input=rules,
                   text=True, check=True, timeout=30)  # fmt: skip
    try:
        yield
    finally:
        subprocess.run(["ip", "netns", "exec", "nwl-dc-web", "nft", "delete", "table", "inet",
                        "nwtest"], check=True, timeout=30)  # fmt: skip


def _portal_labels(alertname: str, service: str, url: str) -> dict[str, str]:
    severity = (
        "critical"
        if alertname in ("NetwardenPortalDown", "NetwardenTlsCertificateExpired")
        else "warning"
    )
    return {
        "alertname": alertname,
        "severity": severity,
        "incident": f"service/{service}",
        "service": service,
        "probe": "http",
        "site": "dc",
        "target": url,
        "agent": "agent-dc",
    }


def test_a_portal_down_everywhere_is_the_portal(rig: Rig) -> None:
    labels = _portal_labels("NetwardenPortalDown", "cong-dvc", "https://198.18.10.5/")
    with _portal_refused(443, only_outside_dc=False):
        shown = rig.finished(rig.start("portal-down", labels, "agency=so-tc"))
    steps = _steps(shown)
    assert [steps[s]["agent"] for s in ("from_dc", "from_core", "from_agency")] == [
        "agent-dc",
        "agent-core",
        "agent-so-tc",
    ]
    for name in ("from_dc", "from_core", "from_agency"):
        output = steps[name]["output"]
        assert (output["success"], output["reason"]) == (False, "refused"), output
    assert any("fails from the data centre and from outside (refused" in line
               and "the portal itself" in line for line in shown["conclusions"]), shown  # fmt: skip


def test_a_portal_refused_only_outside_the_dc_is_the_path(rig: Rig) -> None:
    url = "https://198.18.10.5:8443/"
    labels = _portal_labels("NetwardenPortalDown", "cong-dvc-cu", url)
    with _portal_refused(8443, only_outside_dc=True):
        shown = rig.finished(rig.start("portal-down", labels, "agency=so-tc"))
    steps = _steps(shown)
    dc = steps["from_dc"]["output"]
    assert (dc["success"], dc["status"]) == (True, 200)
    assert abs(sum(dc["phases"].values()) - dc["duration"]) < 1e-6
    assert set(dc["phases"]) >= {"resolve", "connect", "tls", "processing"}
    assert steps["from_core"]["output"]["reason"] == "refused"
    assert steps["from_agency"]["output"]["reason"] == "refused"
    conclusions = shown["conclusions"]
    assert any("answers in the data centre but not from so-tc: the path" in c for c in conclusions)
    # This portal's certificate ends in a few days: measured, said.
    assert 0 < dc["tls_days_left"] < 21
    assert any(c.startswith("The certificate of ") and "expires in" in c for c in conclusions)


def test_an_expired_certificate_is_said_with_its_days(rig: Rig) -> None:
    url = "https://198.18.10.5:9443/"
    labels = _portal_labels("NetwardenTlsCertificateExpired", "cong-dvc-het-han", url)
    shown = rig.finished(rig.start("portal-down", labels))
    steps = _steps(shown)
    assert steps["from_agency"]["status"] == "skipped"  # no agency given
    days = steps["from_dc"]["output"]["tls_days_left"]
    assert days < 0
    expected = f"expired {-days:.0f} days ago: browsers refuse the portal."
    assert any(c.endswith(expected) for c in shown["conclusions"]), shown


# --- config-change ----------------------------------------------------------------------------
def test_a_real_config_change_is_the_runs_diff(rig: Rig) -> None:
    switch, agent, port = "sw-so-khcn-core", "agent-so-khcn", "vc0"
    before = rig.job(agent, "collect_config", {"device": switch})["output"]
    assert before["status"] in ("new", "unchanged", "changed"), before
    cli = Agent(rig.lab, agent, rig.tmp / "cli-configs")
    try:
        shut = cli.run(
            "set_interface_admin", {"device": switch, "interface": port, "state": "down"}
        )
        assert shut.ok and shut.output["changed"] is True, shut.error  # type: ignore[index]
        changed = rig.job(agent, "collect_config", {"device": switch})["output"]
        # The agent also backs the switch up every 30 s (the lab's inventory): a scheduled
        # backup between the shut and this job stores the change first, and this job then
        # finds it unchanged. Either way the device's newest revision is a new one (a backup
        # commits only what differs), and the run's diff below must show the shut.
        assert changed["status"] in ("changed", "unchanged"), changed
        assert changed["revision"] != before["revision"], (before, changed)
        labels = {
            "alertname": "NetwardenConfigChanged",
            "severity": "warning",
            "incident": f"device/{switch}",
            "device": switch,
            "site": "so-khcn",
        }
        shown = rig.finished(rig.start("config-change", labels))
    finally:
        cli.run("set_interface_admin", {"device": switch, "interface": port, "state": "up"})
    diff = _steps(shown)["diff"]
    assert (diff["status"], diff["agent"]) == ("ok", agent)
    assert diff["output"]["to_rev"] == changed["revision"] and diff["output"]["changed"] is True
    lines = diff["output"]["diff"].splitlines()
    added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
    assert added == ["+ shutdown"]
    assert f" interface {port}" in lines[lines.index(added[0]) - 3 : lines.index(added[0])]
    assert "+ shutdown" in diff["text"]  # what the evidence file holds


# --- late result, e-mail notify (started by the fixture, checked last) --------------------------
def test_a_late_result_is_kept_and_the_email_arrived(rig: Rig) -> None:
    run_id, incident = rig.slow["run"], rig.slow["incident"]
    shown = rig.finished(run_id, timeout=120)
    mail = wait_for("the e-mail", rig.mailbox.received, 30, every=0.3)
    assert len(mail) == 1
    assert mail[0]["To"] == MAIL_TO and mail[0]["From"] == "netwarden@stttt.lab"
    assert mail[0]["Subject"] == f"netwarden {run_id}"
    assert mail[0].get_payload().strip() == f"{run_id}: slow_ping timeout on core-rtr"
    steps = _steps(shown)
    assert steps["mail"]["status"] == "ok" and steps["mail"]["output"]["to"] == MAIL_TO
    assert steps["slow_ping"]["status"] == "timeout"

    def late() -> dict[str, Any] | None:
        found = rig.api(f"/api/v1/playbook-runs/{run_id}")
        return found if found["steps"][0]["late"] else None

    # A hang bound: the ping lasts 80 s from when agent-core took the step, as the module's
    # fixture started; the other tests outlast it, but run alone (-k) this test gets here
    # seconds after the start.
    wait_for("the late result kept", late, 150, every=0.5)
    shown = json.loads(rig.cli("show", run_id, "--output", "json"))
    slow = shown["steps"][0]
    assert (slow["step"], slow["status"], slow["late"]) == ("slow_ping", "timeout", True)
    assert slow["output"]["sent"] == 400 and slow["output"]["received"] > 0  # the real answer
    assert slow["error"].endswith("a late result came afterwards (ok)")
    assert [s["step"] for s in shown["steps"]] == ["slow_ping", "mail"]  # nothing re-opened
    assert shown["status"] == "succeeded"
    text = rig.cli("show", run_id)
    assert "slow_ping: ping on agent-core timeout" in text and "then a late result (kept)" in text
    record = rig.api(f"/api/v1/incidents/{incident}")
    names = [e["name"] for e in record["evidence"] if e["step"] == f"{run_id}/slow_ping"]
    assert names == [f"{run_id}-slow_ping.txt", f"{run_id}-slow_ping-late.txt"]
    assert slow["evidence"] == record["evidence"][-1]["id"]
    assert any("late result on agent-core (ok)" in t["text"] for t in record["timeline"])
