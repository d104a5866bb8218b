"""The collector reloads its inventory on a file change or SIGHUP; a bad one is refused."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.conftest import Fleet, bearer

URL = "/api/v1/agents/agent-so-khcn/assignment"
NEW_DEVICE = """
  - id: ap-so-khcn
    site: so-khcn
    address: 198.18.1.20
    role: ap
"""


def _wait_for(check: Callable[[], bool], seconds: float = 30.0) -> bool:
    # The reload parses the inventory in a worker thread: quick, but not within a fixed few
    # seconds on a loaded machine. Only a failing test waits the whole bound.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _devices(client: AsgiClient, cred: str) -> list[str]:
    return [d["id"] for d in client.get(URL, headers=bearer(cred)).json()["devices"]]


def test_file_change_updates_assignment_and_etag(
    fleet: Fleet, make_client: Callable[..., AsgiClient], inventory_file: Path
) -> None:
    client = make_client(watch_every=0.05)
    cred = fleet.enrol()
    before = client.get(URL, headers=bearer(cred)).headers["etag"]
    text = inventory_file.read_text(encoding="utf-8")
    inventory_file.write_text(text.replace("links:", NEW_DEVICE.lstrip("\n") + "links:", 1))
    assert _wait_for(lambda: "ap-so-khcn" in _devices(client, cred))
    answer = client.get(URL, headers={**bearer(cred), "If-None-Match": before})
    assert answer.status_code == 200
    assert answer.headers["etag"] != before


def test_bad_reload_keeps_the_old_inventory(
    fleet: Fleet, make_client: Callable[..., AsgiClient], inventory_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    client = make_client(watch_every=30)  # only the SIGHUP path reloads in this test
    cred = fleet.enrol()
    state = client.app.state.nw
    inventory_file.write_text("province: [broken\n", encoding="utf-8")
    client.run(_set(state.reload_requested))
    assert _wait_for(lambda: not state.inventory.reload_ok)
    assert _devices(client, cred) == ["sw-so-khcn-core"]
    assert any("inventory reload rejected" in r.message for r in caplog.records)


async def _set(event: object) -> None:
    event.set()  # type: ignore[attr-defined]
