"""A collector app with its incident record and playbook engine on a real SQLite store, and
fake agents that take their jobs from the store and answer them as the agent does."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netwarden.collector.api import create_app
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.playbook_state import PlaybookServices, build_playbooks
from netwarden.collector.incidents.evidence import EvidenceFiles
from netwarden.collector.store import open_store
from netwarden.collector.store.incident_store import IncidentStore
from netwarden.collector.store.rows import ResultIn
from netwarden.playbooks.library import load_library
from tests.migrated import sqlite_at_head
from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.conftest import Clock, bearer
from tests.unit.incidents.province import PROVINCE
from tests.waiting import wait_for

Answer = Callable[[str, dict[str, Any]], dict[str, Any]]


def ok_answer(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """What an agent answers for a job that worked (the job-result payload)."""
    output: dict[str, Any] = {"params": params}
    if kind == "ping":
        output |= {"sent": 5, "received": 0, "loss_ratio": 1.0}
    return {"ok": True, "kind": kind, "output": output, "text": f"{kind} done: {params}"}


class Rig:
    def __init__(
        self,
        root: Path,
        clock: Clock,
        province_dirs: list[Path] | None = None,
        inventory: Path = PROVINCE,
        agents: tuple[tuple[str, str], ...] = (("agent-core", "core"), ("agent-so-tc", "so-tc")),
    ) -> None:
        self.clock = clock
        self.store = open_store(sqlite_at_head(root / "collector.db"))
        self.record = IncidentServices(
            IncidentStore(self.store.engine), EvidenceFiles(root / "evidence")
        )
        self.books: PlaybookServices = build_playbooks(
            self.store, self.record, load_library(province_dirs or [])
        )
        app = create_app(
            self.store,
            [inventory],
            insecure=True,
            clock=clock,
            incidents=self.record,
            playbook_services=self.books,
        )
        self.client = AsgiClient(app)
        self.tokens = {
            role: self.store.create_user_token(f"u-{role}", role, "test", clock.now)
            for role in ("viewer", "responder", "admin", "webhook")
        }
        self.credentials: dict[str, str] = {}
        for agent, site in agents:
            secret = self.store.create_join_token(agent, site, 600, "test", clock.now)
            enrolled = self.store.redeem_join_token(secret, agent, "0.1", clock.now)
            self.credentials[agent] = enrolled.credential

    def user(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role])

    def call(self, method: str, path: str, role: str = "responder", **kw: Any) -> Any:
        answer = self.client.request(method, path, headers=self.user(role), **kw)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def serve_jobs(self, agent: str, answer: Answer = ok_answer) -> list[str]:
        """Take the agent's due jobs and post their results; the kinds answered."""
        jobs = self.store.take_jobs(agent, self.clock.now)
        now = self.clock.now
        results = [
            ResultIn(str(uuid.uuid4()), "job-result", now, j.id, answer(j.kind, j.params))
            for j in jobs
        ]
        if results:
            self.store.add_results(agent, results, self.clock.now)
            assert self.client.app.state.nw.playbooks is not None
            self.client.run(_wake(self.books))
        return [j.kind for j in jobs]

    def run_until(self, run_id: str, status: str, agents: tuple[str, ...] = ()) -> Any:
        """Serve the agents' jobs until the run reaches ``status``; the run."""

        def reached() -> Any:
            for agent in agents:
                self.serve_jobs(agent)
            found = self.call("GET", f"/api/v1/playbook-runs/{run_id}", "viewer")
            return found if found["status"] == status else None

        return wait_for(f"run {run_id} {status}", reached, timeout=30)

    def close(self) -> None:
        self.client.close()
        self.store.close()


async def _wake(books: PlaybookServices) -> None:
    books.wake.set()
