"""Fixtures for the collector's API tests: a store, an inventory, a clock, an app, tokens.

The ``store`` fixture runs every API test twice: on the in-memory fake and on the real SQLite
store, so the API is proven against the store it ships with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netwarden.collector.api import create_app
from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.fake_store import FakeStore

CONTRACT = Path(__file__).parents[1] / "inventory" / "contract.yaml"
CA_PEM = "-----BEGIN CERTIFICATE-----\nnot parsed by the API\n-----END CERTIFICATE-----\n"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["fake", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "fake":
        yield FakeStore()
        return
    from netwarden.collector.store import open_store
    from tests.migrated import sqlite_at_head

    real = open_store(sqlite_at_head(tmp_path / "collector.db"))
    try:
        yield real
    finally:
        real.close()


@pytest.fixture
def inventory_file(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(CONTRACT.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_client(
    store: Any, inventory_file: Path, clock: Clock
) -> Iterator[Callable[..., AsgiClient]]:
    clients: list[AsgiClient] = []

    def make(**options: Any) -> AsgiClient:
        settings: dict[str, Any] = {"insecure": False, "ca_pem": CA_PEM, "clock": clock}
        if hasattr(store, "engine"):  # the real store: its incident record is served too
            settings["incidents"] = _incidents(store, inventory_file.parent)
        settings.update(options)
        app = create_app(store, [inventory_file], **settings)
        client = AsgiClient(app)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _incidents(store: Any, root: Path) -> Any:
    from netwarden.collector.api.incident_state import IncidentServices
    from netwarden.collector.incidents.evidence import EvidenceFiles
    from netwarden.collector.store.incident_store import IncidentStore

    return IncidentServices(IncidentStore(store.engine), EvidenceFiles(root / "evidence"))


@pytest.fixture
def client(make_client: Callable[..., AsgiClient]) -> AsgiClient:
    return make_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Fleet:
    """Tokens for a test: users of each role and enrolled agents."""

    def __init__(self, client: AsgiClient, store: Any, clock: Clock) -> None:
        self.client, self.store, self.clock = client, store, clock
        self.users = {
            role: store.create_user_token(f"u-{role}", role, "test", clock.now)
            for role in ("viewer", "responder", "admin")
        }

    def join(self, agent_id: str, site: str = "so-khcn") -> str:
        return str(self.store.create_join_token(agent_id, site, 3600.0, "test", self.clock.now))

    def enrol(self, agent_id: str = "agent-so-khcn", site: str = "so-khcn") -> str:
        secret = self.join(agent_id, site)
        answer = self.client.post(
            "/api/v1/enroll", json={"token": f"nwj.{secret}", "hostname": "h1", "version": "0.1.0"}
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["credential"])

    def user(self, role: str) -> dict[str, str]:
        return bearer(self.users[role])


@pytest.fixture
def fleet(client: AsgiClient, store: Any, clock: Clock) -> Fleet:
    return Fleet(client, store, clock)


def heartbeat_body(clock: Clock, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sent_at": clock.now + 2.5,
        "version": "0.1.0",
        "started_at": clock.now - 100,
        "devices_assigned": 1,
        "devices_healthy": 1,
        "polls_ok": 10,
        "polls_failed": 1,
        "queue_depth": 3,
        "queue_dropped": 0,
        "assignment_etag": None,
        "advertise": "198.18.1.10:9430",
    }
    body.update(changes)
    return body


class IncidentApp:
    """A collector app with its incident record on a real SQLite store, the incident tests'
    small province, a fake Alertmanager for silences and a token per role."""

    def __init__(self, root: Path, clock: Clock, db_url: str | None = None) -> None:
        from netwarden.collector.api.incident_state import IncidentServices
        from netwarden.collector.incidents.evidence import EvidenceFiles
        from netwarden.collector.store import open_store
        from netwarden.collector.store.incident_store import IncidentStore
        from tests.unit.incidents.fake_silences import FakeSilences
        from tests.unit.incidents.province import PROVINCE

        self.clock = clock
        from tests.migrated import sqlite_at_head

        self.store = open_store(db_url or sqlite_at_head(root / "collector.db"))
        self.silences = FakeSilences()
        self.record = IncidentServices(
            IncidentStore(self.store.engine),
            EvidenceFiles(root / "evidence"),
            silences=self.silences,
        )
        app = create_app(self.store, [PROVINCE], insecure=True, clock=clock, incidents=self.record)
        self.client = AsgiClient(app)
        self.tokens = {
            role: self.store.create_user_token(f"u-{role}", role, "test", clock.now)
            for role in ("viewer", "responder", "admin", "webhook")
        }

    def user(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role])

    def post_hook(self, body: Any, role: str = "webhook") -> Any:
        return self.client.post("/api/v1/alerts/alertmanager", json=body, headers=self.user(role))

    def close(self) -> None:
        self.client.close()
        self.store.close()


@pytest.fixture
def incident_app(tmp_path: Path, clock: Clock) -> Iterator[IncidentApp]:
    from tests.unit.incidents.webhooks import BASE

    clock.now = BASE + 60
    app = IncidentApp(tmp_path, clock)
    try:
        yield app
    finally:
        app.close()
