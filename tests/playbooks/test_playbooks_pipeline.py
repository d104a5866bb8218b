"""Playbooks through real daemons on loopback: a real Alertmanager 0.25 posts to a real
``collector serve`` process (with ``--playbooks``), the CLI starts, lists, shows, approves and
rejects runs, and a fake agent takes its jobs over the agent API (GET jobs, POST results) as
the agent does. The collector is killed with SIGKILL mid-run and started again: the run goes on
from where it was, no step runs twice, and a step whose outcome cannot be known is marked
interrupted with the reason."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.cli_in_process import run_in_process
from tests.incidents.alertmanager_process import AlertmanagerProcess, am_alert, config
from tests.incidents.conftest import wait_for
from tests.ports import free_port
from tests.unit.collector.collector_process import CollectorProcess
from tests.unit.incidents.province import PROVINCE

pytestmark = pytest.mark.timeout(240)

LINK_DOWN = {
    "alertname": "NetwardenLinkDown",
    "severity": "critical",
    "incident": "link/tsl-so-tc",
    "link": "tsl-so-tc",
    "device": "core-rtr",
    "ifIndex": "2",
    "ifName": "wan1",
}

GUARDED = """\
id: guarded-check
title: A guarded check (approval, notify, an agent step)
steps:
  - id: ok_to_go
    action: approval
    args: {role: admin, timeout: 10m, message: "ping {{ device.id }}?"}
  - id: tell
    action: notify
    args: {webhook: "WEBHOOK", message: "checking {{ device.id }}"}
  - id: ping_it
    action: ping
    args: {device: "{{ device.id }}", count: 3}
    evidence: true
"""


class _Hook(BaseHTTPRequestHandler):
    bodies: ClassVar[list[Any]] = []

    def do_POST(self) -> None:
        size = int(self.headers.get("Content-Length", "0"))
        type(self).bodies.append(json.loads(self.rfile.read(size)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Rig:
    tmp: Path
    db_url: str
    data_dir: Path
    tokens: dict[str, str]
    extra: list[str]
    collector: CollectorProcess
    agents: dict[str, str] = field(default_factory=dict)  # id -> credential

    def restart(self) -> None:
        self.collector = CollectorProcess(PROVINCE, self.data_dir, insecure=True, extra=self.extra)
        self.collector.port = int(self.extra_port)
        self.collector.start()

    extra_port: int = 0

    def api(self, method: str, path: str, role: str = "admin", **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.request(method, self.collector.url + path, headers=headers, timeout=30, **kw)

    def cli(self, *args: str, role: str = "admin") -> Any:
        env = {"NETWARDEN_COLLECTOR": self.collector.url, "NETWARDEN_TOKEN": self.tokens[role]}
        return run_in_process("playbook", *args, "--insecure", env=env)

    def cli_json(self, *args: str, role: str = "admin") -> Any:
        done = self.cli(*args, "--output", "json", role=role)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def enrol(self, agent: str) -> None:
        args = ["--agent", agent, "--inventory", str(PROVINCE), "--insecure"]
        args += ["--data-dir", str(self.data_dir), "--db", self.db_url]
        done = run_in_process("collector", "token", "create", *args)
        assert done.returncode == 0, done.stderr
        body = {"token": done.stdout.strip(), "hostname": agent, "version": "0.1"}
        answer = httpx.post(f"{self.collector.url}/api/v1/enroll", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        self.agents[agent] = answer.json()["credential"]

    def serve_jobs(self, agent: str) -> list[dict[str, Any]]:
        """Take the agent's jobs and answer them (ok, with a ping's output); the jobs."""
        headers = {"Authorization": f"Bearer {self.agents[agent]}"}
        url = f"{self.collector.url}/api/v1/agents/{agent}"
        jobs: list[dict[str, Any]] = httpx.get(f"{url}/jobs", headers=headers, timeout=30).json()[
            "jobs"
        ]
        results = []
        for job in jobs:
            assert job["expires_at"] is not None  # playbook jobs expire
            output = {"sent": 3, "received": 3, "loss_ratio": 0.0, "params": job["params"]}
            payload = {"ok": True, "kind": job["kind"], "output": output, "text": "3/3 answered"}
            result = {"id": str(uuid.uuid4()), "kind": "job-result", "at": time.time()}
            results.append(result | {"job": job["id"], "payload": payload})
        if results:
            body = {"results": results}
            answer = httpx.post(f"{url}/results", json=body, headers=headers, timeout=30)
            assert answer.status_code == 200, answer.text
        return jobs

    def run(self, run_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.cli_json("show", run_id, role="viewer")
        return found


@pytest.fixture(scope="module")
def hook_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hook(hook_url: str) -> str:
    """The webhook's URL, with no bodies yet received in this test."""
    _Hook.bodies = []
    return hook_url


@contextlib.contextmanager
def open_rig(tmp_path: Path, hook: str) -> Iterator[Rig]:
    data_dir = tmp_path / "collector"
    db_url = f"sqlite:///{data_dir / 'collector.db'}"
    tokens = {}
    for role in ("webhook", "viewer", "responder", "admin"):
        args = ["--user", f"u-{role}", "--role", role, "--data-dir", str(data_dir)]
        done = run_in_process("collector", "token", "create", *args, "--db", db_url)
        assert done.returncode == 0, done.stderr
        tokens[role] = done.stdout.strip()
    books = tmp_path / "playbooks"
    books.mkdir()
    (books / "guarded.yaml").write_text(GUARDED.replace("WEBHOOK", hook), encoding="utf-8")
    extra = ["--db", db_url, "--playbooks", str(books)]
    port = free_port()
    collector = CollectorProcess(PROVINCE, data_dir, port, insecure=True, extra=extra)
    collector.start()
    found = Rig(tmp_path, db_url, data_dir, tokens, extra, collector, extra_port=port)
    try:
        for agent in ("agent-core", "agent-so-tc"):
            found.enrol(agent)
        yield found
    finally:
        found.collector.stop(signal.SIGKILL)


@pytest.fixture
def rig(tmp_path: Path, hook: str) -> Iterator[Rig]:
    """A collector of the test's own: for a test that kills it."""
    with open_rig(tmp_path, hook) as opened:
        yield opened


@pytest.fixture(scope="module")
def shared_rig(tmp_path_factory: pytest.TempPathFactory, hook_url: str) -> Iterator[Rig]:
    """One collector per module for the tests that neither kill it nor leave a job queued;
    each asserts on its own runs (a collector start and six enrolments per test cost more than
    the tests themselves)."""
    with open_rig(tmp_path_factory.mktemp("playbooks"), hook_url) as opened:
        yield opened


def _run_ids(rig: Rig) -> set[str]:
    return {run["id"] for run in rig.cli_json("runs", role="viewer")["runs"]}


def test_alertmanager_starts_link_down_and_the_cli_follows_it(
    shared_rig: Rig, tmp_path: Path
) -> None:
    rig = shared_rig
    before = _run_ids(rig)
    token_file = tmp_path / "am.token"
    token_file.write_text(rig.tokens["webhook"] + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    am = AlertmanagerProcess(tmp_path / "am", config(rig.collector.url, token_file))
    am.start()
    try:
        am.post_alerts([am_alert(LINK_DOWN, time.time())])

        def new_runs() -> list[dict[str, Any]]:
            runs: list[dict[str, Any]] = rig.cli_json("runs", role="viewer")["runs"]
            return [run for run in runs if run["id"] not in before]

        runs = wait_for("the run", new_runs)
    finally:
        am.stop()
    assert len(runs) == 1 and runs[0]["playbook"] == "link-down"
    run_id, incident = runs[0]["id"], runs[0]["incident"]
    assert incident is not None

    def core_done() -> Any:
        rig.serve_jobs("agent-core")
        run = rig.run(run_id)
        return run if len(run["steps"]) == 4 else None

    run = wait_for("the core steps", core_done)
    assert [s["status"] for s in run["steps"]] == ["ok", "ok", "ok", "dispatched"]
    shown = rig.cli("show", run_id, role="viewer")
    assert shown.returncode == 0, shown.stderr
    assert "ping_far: ping on agent-core ok" in shown.stdout
    assert "agency_side: ping on agent-so-tc dispatched" in shown.stdout
    table = rig.cli("runs", "--incident", incident, role="viewer")
    assert run_id in table.stdout and "link-down" in table.stdout

    rig.serve_jobs("agent-so-tc")  # the agency's agent is back
    wait_for("success", lambda: rig.run(run_id)["status"] == "succeeded")
    evidence = rig.api("GET", f"/api/v1/incidents/{incident}", "viewer").json()["evidence"]
    assert [e["step"] for e in evidence] == [
        f"{run_id}/{s}" for s in ("ping_far", "core_interface", "traceroute_far", "agency_side")
    ]


def test_kill_9_mid_run_resumes_and_approvals_need_the_steps_role(rig: Rig) -> None:
    started = rig.cli_json("run", "guarded-check", "--device", "core-rtr", role="responder")
    run_id = started["id"]
    waiting = wait_for("the approval", lambda: (r := rig.run(run_id))["status"] == "waiting" and r)
    assert waiting["steps"][0]["status"] == "waiting"

    # The step names admin: a responder is refused, with the role in the message.
    refused = rig.cli("approve", run_id, "ok_to_go", role="responder")
    assert refused.returncode == 1
    assert "this needs the admin role" in refused.stderr

    rig.collector.stop(signal.SIGKILL)  # kill -9 while the run waits
    rig.restart()
    assert rig.run(run_id)["status"] == "waiting"
    approved = rig.cli("approve", run_id, "ok_to_go", role="admin")
    assert approved.returncode == 0, approved.stderr

    def dispatched() -> Any:
        run = rig.run(run_id)
        return run if run["steps"][-1]["step"] == "ping_it" else None

    run = wait_for("the agent step", dispatched)
    assert [s["status"] for s in run["steps"]] == ["ok", "ok", "dispatched"]
    assert _Hook.bodies == [{"run": run_id, "message": "checking core-rtr"}]

    rig.collector.stop(signal.SIGKILL)  # kill -9 while the job is queued
    rig.restart()
    jobs = wait_for("the job", lambda: rig.serve_jobs("agent-core"))
    assert [j["kind"] for j in jobs] == ["ping"] and jobs[0]["params"]["device"] == "core-rtr"
    done = wait_for("success", lambda: (r := rig.run(run_id))["status"] == "succeeded" and r)
    assert [s["status"] for s in done["steps"]] == ["ok", "ok", "ok"]
    assert len(_Hook.bodies) == 1  # the notify step did not run twice
    assert rig.serve_jobs("agent-core") == []  # nor the job


def test_reject_fails_the_step_and_ends_the_run(shared_rig: Rig, hook: str) -> None:
    rig = shared_rig
    run_id = rig.cli_json("run", "guarded-check", "--device", "core-rtr", role="responder")["id"]
    wait_for("the approval", lambda: rig.run(run_id)["status"] == "waiting")
    viewer = rig.cli("reject", run_id, "ok_to_go", "--reason", "no", role="viewer")
    assert viewer.returncode == 1 and "this needs the responder role" in viewer.stderr
    done = rig.cli("reject", run_id, "ok_to_go", "--reason", "not during office hours")
    assert done.returncode == 0, done.stderr
    run = wait_for("the end", lambda: (r := rig.run(run_id))["status"] == "failed" and r)
    assert run["steps"][0]["error"] == "rejected by user:u-admin: not during office hours"
    assert len(run["steps"]) == 1 and _Hook.bodies == []


def test_dry_run_and_bad_input_from_the_cli(shared_rig: Rig, tmp_path: Path) -> None:
    rig = shared_rig
    before = _run_ids(rig)
    alert = tmp_path / "alert.json"
    alert.write_text(json.dumps({"labels": LINK_DOWN}), encoding="utf-8")
    dry = rig.cli("run", "link-down", "--alert", str(alert), "--dry-run", role="responder")
    assert dry.returncode == 0, dry.stderr
    assert "- ping_far (ping) on agent-core" in dry.stdout
    assert '"host": "198.18.1.2"' in dry.stdout
    assert "- agency_side (ping) on agent-so-tc" in dry.stdout
    unknown = rig.cli("run", "no-such", "--device", "core-rtr", role="responder")
    assert unknown.returncode == 1 and "no playbook 'no-such'" in unknown.stderr
    assert _run_ids(rig) == before  # neither started a run
