"""Playbook actions the way the collector runs them: jobs posted through the collector's API
(``POST /api/v1/agents/{id}/jobs``) to enrolled agents in the lab's namespaces, results read
back from the collector (``GET /api/v1/agents/{id}/results``).

The collector runs on a DC host; agents at the core and in the data centre connect out to it
over the lab WAN. Then the agent is restarted and the collector hands jobs out again (as it
does when a lease passes without a result; here the job's row is set back to pending, since a
lease is 5 minutes): a job that finished is answered from the agent's state dir with the very
same result, and one the agent was killed in the middle of is answered as interrupted. Neither
runs again.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from netwarden.agent.sync.state_dir import StateDir
from tests.lab.conftest import Lab
from tests.lab.fleet_lab import LabAgent, LabCollector, enroll_together, stop_process
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(300)

COLLECTOR_NS, COLLECTOR_LISTEN = "nwl-dc-db", "198.18.10.6:9441"
AGENTS = {
    "agent-core": ("nwl-core", "198.18.100.1:9431"),
    "agent-dc": ("nwl-dc", "198.18.10.1:9431"),
}


@dataclass
class Rig:
    collector: LabCollector
    agents: dict[str, LabAgent]
    responder: str

    def post(self, agent: str, kind: str, params: dict[str, Any]) -> str:
        with self.collector.client(self.responder) as client:
            resp = client.post(
                f"/api/v1/agents/{agent}/jobs", json={"kind": kind, "params": params}
            )
        assert resp.status_code == 200, resp.text
        return str(resp.json()["id"])

    def answers(self, agent: str, job: str) -> list[dict[str, Any]]:
        """Every job-result the collector holds for ``job``, in arrival order."""
        with self.collector.client(self.responder) as client:
            resp = client.get(f"/api/v1/agents/{agent}/results", params={"limit": 1000})
        assert resp.status_code == 200, resp.text
        found = resp.json()["results"]
        return [r["payload"] for r in found if r["kind"] == "job-result" and r["job"] == job]

    def result(self, agent: str, job: str, timeout: float = 60) -> dict[str, Any]:
        log = self.agents[agent].log
        answers = wait_for(
            f"the result of job {job} on {agent}",
            lambda: self.answers(agent, job),
            timeout,
            every=0.5,
            describe=lambda: log.read_text(errors="replace")[-1500:],
        )
        return answers[0]

    def hand_out_again(self, job: str) -> None:
        """What a lease that passed does: the job is due again (the collector's own store)."""
        db = sqlite3.connect(self.collector.data_dir / "collector.db", timeout=30)
        try:
            with db:
                db.execute("UPDATE jobs SET state = 'pending' WHERE id = ?", (job,))
        finally:
            db.close()

    def job_state(self, job: str) -> str:
        db = sqlite3.connect(self.collector.data_dir / "collector.db", timeout=30)
        try:
            return str(db.execute("SELECT state FROM jobs WHERE id = ?", (job,)).fetchone()[0])
        finally:
            db.close()

    def claimed(self, agent: str, job: str) -> bool:
        """The agent has recorded ``job`` as started in its state dir's ``jobs.db``."""
        path = StateDir(self.agents[agent].state_dir).jobs_path
        if not path.exists():
            return False
        db = sqlite3.connect(path, timeout=30)
        try:
            return db.execute("SELECT 1 FROM jobs WHERE id = ?", (job,)).fetchone() is not None
        finally:
            db.close()

    def restart(self, agent: str, sig: int = signal.SIGTERM, *, due_again: str) -> None:
        """Stop the agent with ``sig``; while it is down, its job ``due_again`` passes its lease
        (``hand_out_again``); then it starts again. In that order, as a lease passes while an
        agent is away: the new agent's first jobs request takes the job at once. (Set pending
        after the start, the job would wait out the running long poll, 30 s: a row changed in
        the store wakes nobody.)"""
        running = self.agents[agent]
        assert running.proc is not None
        stop_process(running.proc, sig)
        self.hand_out_again(due_again)
        running.start(advertise=False, heartbeat=1.0, summary=5.0)
        running.wait_serving()


@pytest.fixture(scope="module")
def rig(lab: Lab) -> Iterator[Rig]:
    tmp = Path(tempfile.mkdtemp(prefix="nw-actions-"))
    collector = LabCollector(
        COLLECTOR_NS, COLLECTOR_LISTEN, lab.state.inventory, tmp / "collector" / "data", "10s"
    )
    agents = {
        a: LabAgent(a, ns, address, tmp / "agents" / a) for a, (ns, address) in AGENTS.items()
    }
    try:
        (tmp / "agents").mkdir(parents=True)
        collector.start()
        responder = collector.user_token("ops", "responder")
        tokens = collector.join_tokens(agents)
        collector.fetch_ca(expected_sha256=tokens["agent-core"].split(".")[2])
        enroll_together(agents.values(), collector.url, tokens)
        for agent in agents.values():
            agent.start(advertise=False, heartbeat=1.0, summary=5.0)
        for agent in agents.values():
            agent.wait_serving()
        yield Rig(collector, agents, responder)
    finally:
        for agent in agents.values():
            agent.stop()
        collector.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_jobs_posted_to_the_collector_run_on_the_agents(rig: Rig) -> None:
    jobs = {
        "ping": rig.post("agent-core", "ping", {"host": "198.18.2.2", "count": 5, "interval": 0.1}),
        "get": rig.post(
            "agent-core", "snmp_get", {"device": "core-rtr", "oids": ["1.3.6.1.2.1.1.5.0"]}
        ),
        "show": rig.post(
            "agent-core",
            "ssh_command",
            {"device": "core-rtr", "command": "show ip interface brief"},
        ),
        "refused": rig.post(
            "agent-core", "ssh_command", {"device": "core-rtr", "command": "reload"}
        ),
        "elsewhere": rig.post(
            "agent-core", "snmp_get", {"device": "sw-dc-core", "oids": ["1.3.6.1.2.1.1.5.0"]}
        ),
        "bad": rig.post("agent-core", "ping", {"host": "198.18.2.2", "count": 0}),
    }
    ping = rig.result("agent-core", jobs["ping"])
    assert ping["ok"] is True and ping["kind"] == "ping"
    assert (ping["output"]["sent"], ping["output"]["received"]) == (5, 5)
    assert ping["text"].startswith("ping 198.18.2.2: 5 sent, 5 received, 0% loss\n")
    get = rig.result("agent-core", jobs["get"])
    assert get["output"]["values"] == [
        {"oid": "1.3.6.1.2.1.1.5.0", "type": "STRING", "value": "core-rtr"}
    ]
    show = rig.result("agent-core", jobs["show"])
    assert show["ok"] is True and "wan1" in show["output"]["output"]
    assert show["text"].startswith("core-rtr# show ip interface brief\n")
    refused = rig.result("agent-core", jobs["refused"])
    assert refused["ok"] is False and "output" not in refused
    assert refused["error"].startswith("ssh_command refused: 'reload' is not a read-only command")
    elsewhere = rig.result("agent-core", jobs["elsewhere"])
    assert elsewhere["error"].startswith(
        "device sw-dc-core is not in the inventory of agent agent-core"
    )
    bad = rig.result("agent-core", jobs["bad"])
    assert bad["error"] == "ping: count: input should be greater than or equal to 1"


def test_a_traceroute_from_the_data_centre_crosses_the_core(rig: Rig) -> None:
    job = rig.post("agent-dc", "traceroute", {"host": "198.18.2.2", "max_hops": 8})
    trace = rig.result("agent-dc", job)
    assert trace["ok"] is True, trace
    assert trace["output"]["reached"] is True
    # The core router's end of the DC link, then the agency's switch.
    assert [hop["address"] for hop in trace["output"]["hops"]] == ["198.19.254.1", "198.18.2.2"]
    assert trace["text"].splitlines()[-1] == "reached"


def test_a_job_handed_out_again_after_a_restart_is_answered_not_run(rig: Rig) -> None:
    job = rig.post("agent-core", "ping", {"host": "198.18.2.2", "count": 3, "interval": 0.1})
    first = rig.result("agent-core", job)
    assert first["ok"] is True
    wait_for("the job closed by its result", lambda: rig.job_state(job) == "done", 30)
    rig.restart("agent-core", due_again=job)
    answers = wait_for(
        "a second answer", lambda: (a := rig.answers("agent-core", job))[1:] and a, 60, every=0.5
    )
    # The same payload: a second ping would have other round-trip times.
    assert answers[1] == first
    assert "answered from the job record" in rig.agents["agent-core"].log.read_text()


def test_a_job_the_agent_died_in_is_answered_as_interrupted(rig: Rig) -> None:
    # A wait that cannot end soon: nothing listens on port 9 of the switch.
    params = {
        "condition": {"probe": {"kind": "tcp", "target": {"host": "198.18.100.1", "port": 9}}},
        "every": 1,
        "timeout": 120,
    }
    job = rig.post("agent-core", "wait_until", params)
    # Claimed in the agent's record, not only leased by the collector: a kill between the two
    # would leave a job the agent never started, which it would rightly run after the restart.
    # The agent was restarted by the previous test: its old process's long poll, dropped, must
    # not take this job (the collector checks; before, the job sat leased to it for minutes).
    log = rig.agents["agent-core"].log
    wait_for(
        "the job claimed by the agent",
        lambda: rig.claimed("agent-core", job),
        60,
        describe=lambda: log.read_text(errors="replace")[-1500:],
    )
    rig.restart("agent-core", signal.SIGKILL, due_again=job)  # no chance to say anything
    # Timed from the restarted agent serving, not from the claim: the restart is a Python
    # start-up, which took more than a minute at loads of 26-42 (wait_serving's hang bound).
    restarted = time.monotonic()
    answer = rig.result("agent-core", job)
    assert answer["ok"] is False and answer["interrupted"] is True
    assert answer["kind"] == "wait_until"
    assert "its outcome is unknown, and it is not run again" in answer["error"]
    assert time.monotonic() - restarted < 60  # answered at once, not after the wait's 120 s
