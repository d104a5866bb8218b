"""End-to-end incident tests: a real Alertmanager 0.25 delivering to a real collector process,
on SQLite and on PostgreSQL (a throwaway server, tests/pg_server.py). Loopback only."""

from __future__ import annotations

import contextlib
import json
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli_in_process import run_in_process
from tests.incidents.alertmanager_process import AlertmanagerProcess, config
from tests.pg_server import PgServer
from tests.ports import free_port
from tests.unit.collector.collector_process import CollectorProcess
from tests.unit.incidents.province import PROVINCE


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'collector' / 'collector.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with server.database() as url:
        yield url


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something true (bounded in time); return that."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last: {str(last)[:500]}")


@dataclass
class Pipeline:
    """Alertmanager → collector, with tokens for each role and helpers to look inside."""

    collector: CollectorProcess
    alertmanager: AlertmanagerProcess
    tokens: dict[str, str]

    def api(self, method: str, path: str, role: str = "admin", **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        url = f"{self.collector.url}{path}"
        return httpx.request(method, url, headers=headers, timeout=30, **kwargs)

    def incidents(self) -> list[dict[str, Any]]:
        answer = self.api("GET", "/api/v1/incidents?status=all&limit=1000", "viewer")
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["incidents"]
        return found

    def incident(self, incident_id: str) -> dict[str, Any]:
        answer = self.api("GET", f"/api/v1/incidents/{incident_id}", "viewer")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def metric(self, name: str) -> float:
        text = httpx.get(f"{self.collector.url}/metrics", timeout=10).text
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def cli(self, *args: str, role: str = "admin") -> Any:
        env = {"NETWARDEN_COLLECTOR": self.collector.url, "NETWARDEN_TOKEN": self.tokens[role]}
        return run_in_process("incident", *args, "--insecure", env=env)

    def cli_json(self, *args: str, role: str = "admin") -> Any:
        done = self.cli(*args, "--output", "json", role=role)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@contextlib.contextmanager
def open_pipeline(
    root: Path, db_url: str, province: Path = PROVINCE, extra: Sequence[str] = ()
) -> Iterator[Pipeline]:
    """A collector on ``db_url`` (data under ``root``) with a token per role, and an
    Alertmanager delivering to it; both stopped at exit."""
    data_dir = root / "collector"
    tokens = {}
    for role in ("webhook", "viewer", "responder", "admin"):
        args = ["--user", f"u-{role}", "--role", role, "--data-dir", str(data_dir)]
        done = run_in_process("collector", "token", "create", *args, "--db", db_url)
        assert done.returncode == 0, done.stderr
        tokens[role] = done.stdout.strip()
    token_file = root / "alertmanager.token"
    token_file.write_text(tokens["webhook"] + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    # The collector needs Alertmanager's URL and Alertmanager the collector's: bind the
    # collector first on a free port, then start Alertmanager pointing at it.
    am_root = root / "alertmanager"
    am_port = free_port()
    am_url = f"http://127.0.0.1:{am_port}"
    options = ["--db", db_url, "--alertmanager", am_url, *extra]
    # On a port of its own: a test kills the collector and starts it again on the same port
    # (Alertmanager's retries must land there), and one the kernel chose could be taken between.
    collector = CollectorProcess(province, data_dir, free_port(), insecure=True, extra=options)
    collector.start()
    alertmanager = AlertmanagerProcess(am_root, config(collector.url, token_file), port=am_port)
    try:
        alertmanager.start()
        yield Pipeline(collector, alertmanager, tokens)
    finally:
        alertmanager.stop()
        collector.stop(signal.SIGKILL)


@pytest.fixture
def pipeline(tmp_path: Path, db_url: str) -> Iterator[Pipeline]:
    with open_pipeline(tmp_path, db_url) as opened:
        yield opened


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shared_pipeline(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    """One pipeline per module and backend, for tests that each use incident keys of their own
    and assert only on their own incidents or on counters that only grow (a setup costs a
    collector and an Alertmanager start). A test that kills a process, or counts every
    incident, takes ``pipeline``."""
    root = tmp_path_factory.mktemp("pipeline")
    if request.param == "sqlite":
        with open_pipeline(root, f"sqlite:///{root / 'collector' / 'collector.db'}") as opened:
            yield opened
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with server.database() as url, open_pipeline(root, url) as opened:
        yield opened
