"""Configuration revisions through the API: agents post them as ``config-revision`` results
(built by the agent's own payload function, so the contract is the code both sides run), the
collector keeps every device's history, and users read it (devices, history, one revision,
the diff as ``config diff`` prints it). Against the fake and the real SQLite store."""

from __future__ import annotations

import base64
import gzip
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from netwarden.agent.sync.config_revisions import Device, revision_payload
from netwarden.config_diff import Revision
from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.conftest import Fleet, bearer

AGENT = "agent-so-khcn"
RESULTS = f"/api/v1/agents/{AGENT}/results"
ICT = timezone(timedelta(hours=7))  # the agents' clocks show Indochina time
SWITCH = Device("sw-so-khcn-core", "so-khcn", "switch")
C1, C2 = "1a" * 20, "2b" * 20
FIRST = "hostname sw-so-khcn-core\n!\ninterface lan0\n!\n"
SECOND = "hostname sw-so-khcn-core\n!\ninterface lan0\n shutdown\n!\n"


def _result(commit: str, text: str, minute: int, previous: str | None = None) -> dict[str, Any]:
    when = datetime(2026, 12, 7, 10, minute, tzinfo=ICT)
    payload = revision_payload(SWITCH, Revision(commit, when), previous, text)
    assert payload is not None
    return {"id": str(uuid.uuid4()), "kind": "config-revision", "at": when.timestamp(),
            "job": None, "payload": payload}  # fmt: skip


def _post(client: AsgiClient, cred: str, *results: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(RESULTS, headers=bearer(cred), json={"results": list(results)})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_history_diff_and_one_revision(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    first = _result(C1, FIRST, 0)
    assert _post(client, cred, first, _result(C2, SECOND, 5, C1)) == {
        "accepted": 2,
        "duplicates": 0,
    }
    assert _post(client, cred, first) == {"accepted": 0, "duplicates": 1}
    viewer = fleet.user("viewer")
    listed = client.get("/api/v1/configs/sw-so-khcn-core/revisions", headers=viewer).json()
    assert [(r["commit"], r["previous_commit"], r["agent"]) for r in listed["revisions"]] == [
        (C2, C1, AGENT),
        (C1, None, AGENT),
    ]
    assert listed["revisions"][0]["time"] == "2026-12-07T10:05:00+07:00"
    change = client.get("/api/v1/configs/sw-so-khcn-core/diff", headers=viewer).json()
    assert change["from"] == {"commit": C1, "time": "2026-12-07T10:00:00+07:00"}
    assert change["to"]["commit"] == C2
    assert change["diff"].startswith(
        f"--- sw-so-khcn-core.cfg@{C1[:12]}\t2026-12-07T10:00:00+07:00\n"
        f"+++ sw-so-khcn-core.cfg@{C2[:12]}\t2026-12-07T10:05:00+07:00\n"
    )
    assert "\n interface lan0\n+ shutdown\n" in change["diff"]
    # A first revision compares with nothing; a prefix of 4 digits names a revision.
    new = client.get("/api/v1/configs/sw-so-khcn-core/diff", params={"to": C1[:6]},
                     headers=viewer).json()  # fmt: skip
    assert new["from"] is None and new["diff"].count("\n+") == FIRST.count("\n") + 1
    one = client.get(f"/api/v1/configs/sw-so-khcn-core/revisions/{C1[:8]}", headers=viewer)
    assert one.json()["config"] == FIRST and one.json()["sha256"] == first["payload"]["sha256"]
    devices = client.get("/api/v1/configs", headers=viewer).json()["devices"]
    assert devices == [{"device": "sw-so-khcn-core", "site": "so-khcn", "revisions": 2,
                        "last_commit": C2, "last_time": "2026-12-07T10:05:00+07:00",
                        "agent": AGENT}]  # fmt: skip
    # The result row keeps the metadata only: the configuration is kept once.
    rows = client.get(RESULTS, headers=viewer).json()["results"]
    assert [r["kind"] for r in rows] == ["config-revision"] * 2
    assert all("config_gzip_b64" not in r["payload"] for r in rows)


def test_a_bad_revision_is_refused_naming_the_result(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    good = _result(C1, FIRST, 0)
    tampered = _result(C2, SECOND, 5)
    tampered["payload"]["sha256"] = good["payload"]["sha256"]
    not_gzip = _result(C2, SECOND, 5)
    not_gzip["payload"]["config_gzip_b64"] = base64.b64encode(b"plain text").decode()
    bomb = _result(C2, SECOND, 5)
    bomb["payload"]["config_gzip_b64"] = base64.b64encode(
        gzip.compress(b"\n" * (17 * 1024 * 1024))
    ).decode()  # 17 MiB of newlines inflate past the 16 MiB bound
    bad_time = _result(C2, SECOND, 5)
    bad_time["payload"]["time"] = "yesterday"
    for result, words in [
        (tampered, "does not match its sha256"),
        (not_gzip, "is not gzip'd UTF-8 text"),
        (bomb, "inflates past 16 MiB"),
        (bad_time, "payload.time: Value error, must be an ISO 8601 time"),
    ]:
        answer = client.post(RESULTS, headers=bearer(cred), json={"results": [good, result]})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"].startswith(f"result {result['id']}: ")
        assert words in answer.json()["error"]
    # The batch was refused whole: nothing of it is kept.
    missing = client.get("/api/v1/configs/sw-so-khcn-core/revisions", headers=fleet.user("viewer"))
    assert missing.status_code == 404
    assert missing.json()["error"] == "the collector holds no configuration of sw-so-khcn-core"


def test_reading_needs_a_user_token_and_valid_names(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    _post(client, cred, _result(C1, FIRST, 0))
    path = "/api/v1/configs/sw-so-khcn-core/revisions"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(cred)).status_code == 403  # an agent is no user
    viewer = fleet.user("viewer")
    assert client.get("/api/v1/configs/bad%20id/revisions", headers=viewer).status_code == 400
    unknown = client.get(f"{path}/ffffff", headers=viewer)
    assert unknown.status_code == 404 and "revision ffffff" in unknown.json()["error"]
    odd = client.get("/api/v1/configs/sw-so-khcn-core/diff", params={"from": "HEAD~1"},
                     headers=viewer)  # fmt: skip
    assert odd.status_code == 400 and "is not a revision" in odd.json()["error"]
