"""Fixtures for the fleet sync tests: a TLS fake collector on loopback, an enrolled state dir,
an assignment whose devices answer from in-memory fake SNMP sessions."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, ParamSpec

import pytest

from netwarden.agent.lifecycle import AgentLifecycle, RuntimeSettings
from netwarden.agent.snmp.types import SnmpSession, Target
from netwarden.agent.sync.collector_link import CollectorLink, EnrolledOptions
from netwarden.agent.sync.enroll import enroll
from netwarden.agent.sync.loop import SyncSettings
from tests.unit.agent.fakes import FakeIf, FakeSession, make_device
from tests.unit.agent.sync.fake_collector import FakeCollector
from tests.unit.agent.sync.server import ServerThread
from tests.unit.agent.sync.tls import Tls, make_tls

P = ParamSpec("P")
AGENT = "agent-a"
SITE = "so-khcn"
COMMUNITY_ENV = "NW_SYNC_TEST_COMMUNITY"
FAST = SyncSettings(heartbeat_interval=0.2, summary_interval=1.0, observe_every=0.05,
                    jobs_wait=1.0, backoff_base=0.05, backoff_cap=0.3)  # fmt: skip


def run_async(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an async test in its own event loop (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


async def wait_for(check: Callable[[], object], seconds: float = 10.0, what: str = "") -> None:
    """Poll ``check`` until it is true; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


def _device(n: int, device: str) -> dict[str, Any]:
    return {"id": device, "site": SITE, "address": f"198.18.1.{n + 2}", "role": "switch",
            "snmp": {"credential": "snmp-v2", "interval": "1s", "timeout": "200ms"},
            "icmp": {"enabled": False}}  # fmt: skip


def assignment(devices: tuple[str, ...] = ("sw-1",), agent: str = AGENT) -> dict[str, Any]:
    """An assignment as the collector sends it: an inventory document (JSON)."""
    community = {"version": "2c", "community": f"env:{COMMUNITY_ENV}"}
    return {
        "province": "thai-nguyen",
        "agents": [{"id": agent, "site": SITE}],
        "sites": [{"id": SITE, "name": "Sở Khoa học và Công nghệ", "kind": "agency"}],
        "devices": [_device(n, device) for n, device in enumerate(devices)],
        "credentials": {"snmp-v2": {"snmp": community}},
    }


class FakeDevices:
    """SNMP sessions by address: a device answers until a test makes it fail."""

    def __init__(self) -> None:
        self.sessions: dict[str, FakeSession] = {}

    def factory(self, target: Target) -> SnmpSession:
        return self.sessions.setdefault(target.host, make_device([FakeIf(1), FakeIf(2)]))

    def settings(self) -> RuntimeSettings:
        """The runtime on these fake sessions, without probes (no ICMP socket in unit tests)."""
        return RuntimeSettings(self.factory, probers=None)


@pytest.fixture
def tls(tmp_path: Path) -> Tls:
    return make_tls(tmp_path / "tls")


@pytest.fixture
def fake(tls: Tls) -> FakeCollector:
    return FakeCollector(tls.ca_pem, tls.ca_sha256)


@pytest.fixture
def server(fake: FakeCollector, tls: Tls) -> Iterator[ServerThread]:
    thread = ServerThread(fake.app(), tls)
    thread.start()
    try:
        yield thread
    finally:
        thread.close()


@pytest.fixture
def state_dir(
    tmp_path: Path, fake: FakeCollector, server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A state dir enrolled with the fake collector (through the real enrolment)."""
    monkeypatch.setenv(COMMUNITY_ENV, "public")
    path = tmp_path / "state"
    asyncio.run(enroll(server.url, fake.join_token(AGENT, SITE), path, hostname="box-1"))
    return path


def enrolled_agent(state_dir: Path, devices: FakeDevices, **options: Any) -> AgentLifecycle:
    """The enrolled agent of ``state_dir`` as `agent run --state-dir` builds it (its source and
    sink are one CollectorLink: ``agent.source.assignment``, ``agent.sink.queue``...)."""
    opts = EnrolledOptions(state_dir, settings=options.pop("settings", FAST), **options)
    link = CollectorLink(opts)
    return AgentLifecycle(link, link, devices.settings())
