"""Agent routes: CA, enrolment, heartbeat, assignment with ETag, results idempotency."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from netwarden.collector.assignment import etag
from netwarden.inventory import load_inventory
from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.conftest import CA_PEM, Clock, Fleet, bearer, heartbeat_body


def test_ca_is_served_with_tls_and_404_when_insecure(
    client: AsgiClient, make_client: Callable[..., AsgiClient]
) -> None:
    assert client.get("/api/v1/ca").json() == {"ca_pem": CA_PEM}
    plain = make_client(insecure=True, ca_pem=None)
    answer = plain.get("/api/v1/ca")
    assert answer.status_code == 404
    assert "--insecure" in answer.json()["error"]


def test_enrolling_a_replacement_voids_the_old_boxs_credential(
    fleet: Fleet, client: AsgiClient
) -> None:
    def beat(credential: str) -> Any:
        path = "/api/v1/agents/agent-so-khcn/heartbeat"
        return client.post(path, headers=bearer(credential), json=heartbeat_body(fleet.clock))

    old = fleet.enrol()
    assert beat(old).status_code == 200  # authenticated a moment ago: remembered
    new = fleet.enrol()  # a new join token for the same agent id, redeemed by the new box
    refused = beat(old)
    assert refused.status_code == 401
    assert refused.json() == {"error": "invalid agent credential"}
    assert beat(new).status_code == 200


def test_enrol_gives_a_working_credential_once(fleet: Fleet, client: AsgiClient) -> None:
    secret = fleet.join("agent-so-khcn")
    body = {"token": f"nwj.{secret}.{'ab' * 32}", "hostname": "box-1", "version": "0.1.0"}
    first = client.post("/api/v1/enroll", json=body)
    assert first.status_code == 200
    answer = first.json()
    assert answer["agent"] == "agent-so-khcn"
    assert answer["site"] == "so-khcn"
    assert answer["credential"].startswith("nwa.agent-so-khcn.")
    again = client.post("/api/v1/enroll", json=body)
    assert again.status_code == 401
    assert "already used" in again.json()["error"]
    hb = client.post("/api/v1/agents/agent-so-khcn/heartbeat", headers=bearer(answer["credential"]),
                     json=heartbeat_body(fleet.clock))  # fmt: skip
    assert hb.status_code == 200


def test_enrol_refuses_unknown_and_expired_tokens(fleet: Fleet, client: AsgiClient) -> None:
    unknown = client.post("/api/v1/enroll", json={"token": "nwj.nope", "hostname": "h",
                                                   "version": "1"})  # fmt: skip
    assert unknown.status_code == 401
    secret = fleet.join("agent-so-khcn")
    fleet.clock.now += 7200  # the fixture's tokens live one hour
    expired = client.post("/api/v1/enroll", json={"token": f"nwj.{secret}", "hostname": "h",
                                                   "version": "1"})  # fmt: skip
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]


def test_heartbeat_records_state_and_answers_the_assignment_etag(
    fleet: Fleet, client: AsgiClient, store: Any, clock: Clock
) -> None:
    cred = fleet.enrol()
    answer = client.post("/api/v1/agents/agent-so-khcn/heartbeat", headers=bearer(cred),
                         json=heartbeat_body(clock, queue_depth=42))  # fmt: skip
    assert answer.status_code == 200
    assert answer.json()["server_time"] == clock.now
    assignment = client.get("/api/v1/agents/agent-so-khcn/assignment", headers=bearer(cred))
    assert answer.json()["assignment_etag"] == assignment.headers["etag"].strip('"')
    row = store.agent("agent-so-khcn")
    assert row.last_seen == clock.now
    assert row.queue_depth == 42
    assert row.clock_offset == 2.5  # sent_at - received_at
    assert row.advertise == "198.18.1.10:9430"


def test_heartbeat_ignores_unknown_keys_but_checks_known_ones(
    fleet: Fleet, client: AsgiClient, clock: Clock
) -> None:
    cred = fleet.enrol()
    url = "/api/v1/agents/agent-so-khcn/heartbeat"
    newer = heartbeat_body(clock, some_future_field={"x": 1})
    assert client.post(url, headers=bearer(cred), json=newer).status_code == 200
    wrong = client.post(url, headers=bearer(cred), json=heartbeat_body(clock, polls_ok="10"))
    assert wrong.status_code == 400
    assert wrong.json()["error"].startswith("polls_ok:")
    missing = heartbeat_body(clock)
    del missing["sent_at"]
    answer = client.post(url, headers=bearer(cred), json=missing)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("sent_at:")
    bad_addr = client.post(url, headers=bearer(cred), json=heartbeat_body(clock, advertise="x"))
    assert bad_addr.status_code == 400
    assert "advertise" in bad_addr.json()["error"]


def test_assignment_is_the_agents_slice_with_etag_and_304(
    fleet: Fleet, client: AsgiClient, inventory_file: Path, tmp_path: Path
) -> None:
    cred = fleet.enrol()
    url = "/api/v1/agents/agent-so-khcn/assignment"
    first = client.get(url, headers=bearer(cred))
    assert first.status_code == 200
    document = first.json()
    tag = first.headers["etag"]
    assert tag == f'"{etag(document)}"'
    assert [d["id"] for d in document["devices"]] == ["sw-so-khcn-core"]
    # The agent can load it with the ordinary inventory loader.
    copy = tmp_path / "assignment.yaml"
    copy.write_text(first.text, encoding="utf-8")
    assert [d.id for d in load_inventory([copy]).devices] == ["sw-so-khcn-core"]
    same = client.get(url, headers={**bearer(cred), "If-None-Match": tag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == tag
    weak = client.get(url, headers={**bearer(cred), "If-None-Match": f'"other", W/{tag}'})
    assert weak.status_code == 304
    stale = client.get(url, headers={**bearer(cred), "If-None-Match": '"0000"'})
    assert stale.status_code == 200


def test_agent_missing_from_the_inventory_gets_404_for_its_assignment(
    fleet: Fleet, client: AsgiClient
) -> None:
    cred = fleet.enrol("agent-gone", "so-khcn")
    answer = client.get("/api/v1/agents/agent-gone/assignment", headers=bearer(cred))
    assert answer.status_code == 404
    assert "not in the collector's inventory" in answer.json()["error"]


def _result(kind: str = "event", **changes: Any) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "kind": kind, "at": 1_700_000_000.5, "job": None,
            "payload": {"device": "sw-so-khcn-core", "up": False, "reason": "timeout"}}  # fmt: skip
    body.update(changes)
    return body


def test_results_are_idempotent_by_id_and_kept_in_order(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    url = "/api/v1/agents/agent-so-khcn/results"
    batch = [_result(), _result("poll-summary"), _result()]
    first = client.post(url, headers=bearer(cred), json={"results": batch})
    assert first.json() == {"accepted": 3, "duplicates": 0}
    # A crash between post and ack re-sends the batch, with one new result after it.
    again = client.post(url, headers=bearer(cred), json={"results": [*batch, _result()]})
    assert again.json() == {"accepted": 1, "duplicates": 3}
    listed = client.get(url, headers=fleet.user("viewer")).json()["results"]
    assert [r["id"] for r in listed[:3]] == [r["id"] for r in batch]
    assert len(listed) == 4
    assert listed[0]["payload"] == batch[0]["payload"]
    assert client.post(url, headers=bearer(cred), json={"results": []}).json() == {
        "accepted": 0, "duplicates": 0}  # fmt: skip


def test_results_validation_names_the_field(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    url = "/api/v1/agents/agent-so-khcn/results"
    for result, field in [
        (_result(id="not-a-uuid"), "results.0.id"),
        (_result(kind="gossip"), "results.0.kind"),
        (_result(payload=[1, 2]), "results.0.payload"),
        (_result(at="yesterday"), "results.0.at"),
    ]:
        answer = client.post(url, headers=bearer(cred), json={"results": [result]})
        assert answer.status_code == 400, result
        assert answer.json()["error"].startswith(field), answer.json()


def test_body_over_one_mib_is_413_before_parsing(fleet: Fleet, client: AsgiClient) -> None:
    cred = fleet.enrol()
    url = "/api/v1/agents/agent-so-khcn/results"
    big = json.dumps({"results": [_result(payload={"x": "a" * (1024 * 1024)})]})
    answer = client.post(url, headers={**bearer(cred), "Content-Type": "application/json"},
                         content=big)  # fmt: skip
    assert answer.status_code == 413

    # Without Content-Length (chunked), the limit holds while reading; and this body is not
    # even JSON: 413 comes before any parsing.
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    streamed = client.post(url, headers=bearer(cred), content=chunks())
    assert streamed.status_code == 413


def test_api_answers_are_never_cached(fleet: Fleet, client: AsgiClient) -> None:
    """An enrolment answer carries the agent's credential: no proxy or browser may keep it, and
    neither may it keep any other API answer (errors included). /metrics stays cacheable."""
    secret = fleet.join("agent-so-khcn")
    body = {"token": f"nwj.{secret}", "hostname": "box-1", "version": "0.1.0"}
    enrolled = client.post("/api/v1/enroll", json=body)
    assert enrolled.status_code == 200
    assert enrolled.headers["cache-control"] == "no-store"
    refused = client.post("/api/v1/enroll", json=body)  # the token is spent: 401
    assert refused.status_code == 401
    assert refused.headers["cache-control"] == "no-store"
    fleet_answer = client.get("/api/v1/fleet", headers=fleet.user("viewer"))
    assert fleet_answer.headers["cache-control"] == "no-store"
    assert client.get("/api/v1/nothing-here").headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/metrics").headers


def test_every_accepted_result_is_readable_with_the_seq_cursor(
    fleet: Fleet, client: AsgiClient
) -> None:
    """Batches of 1,000 share one received time; ``after_seq`` pages through all of them, and
    each answer names the next cursor and whether more follow."""
    cred = fleet.enrol()
    url = "/api/v1/agents/agent-so-khcn/results"
    posted: list[str] = []
    for _ in range(3):  # the clock does not move: 3,000 results, one received time
        batch = [_result() for _ in range(1000)]
        answer = client.post(url, headers=bearer(cred), json={"results": batch})
        assert answer.json() == {"accepted": 1000, "duplicates": 0}
        posted += [r["id"] for r in batch]
    read: list[str] = []
    cursor, more = 0, True
    for _ in range(10):  # bounded: three full pages and the end
        page = client.get(url, headers=fleet.user("viewer"),
                          params={"after_seq": cursor, "limit": 1000}).json()  # fmt: skip
        read += [r["id"] for r in page["results"]]
        assert page["next_after_seq"] == (page["results"][-1]["seq"] if page["results"] else cursor)
        cursor, more = page["next_after_seq"], page["more"]
        if not more:
            break
    assert read == posted
    empty = client.get(url, headers=fleet.user("viewer"), params={"after_seq": cursor}).json()
    assert empty == {"results": [], "next_after_seq": cursor, "more": False}
    # `since` still filters (by received time), and the cursor combines with it.
    later = client.get(url, headers=fleet.user("viewer"),
                       params={"since": fleet.clock.now + 1}).json()  # fmt: skip
    assert later["results"] == []
    bad = client.get(url, headers=fleet.user("viewer"), params={"after_seq": "-1"})
    assert bad.status_code == 400
    assert "after_seq" in bad.json()["error"]


def test_a_results_batch_over_the_cap_is_413_and_stores_nothing(
    fleet: Fleet, client: AsgiClient
) -> None:
    cred = fleet.enrol()
    url = "/api/v1/agents/agent-so-khcn/results"
    over = [_result(payload={}) for _ in range(1001)]
    answer = client.post(url, headers=bearer(cred), json={"results": over})
    assert answer.status_code == 413
    assert answer.json() == {
        "error": "a results batch holds at most 1000 results, this one 1001: send smaller batches"
    }
    listed = client.get(url, headers=fleet.user("viewer")).json()
    assert listed["results"] == []
    assert client.post(url, headers=bearer(cred), json={"results": over[:1000]}).json() == {
        "accepted": 1000, "duplicates": 0}  # fmt: skip


def test_an_agent_may_advertise_only_its_own_address_or_one_the_inventory_lists(
    fleet: Fleet, client: AsgiClient, store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The test client connects from 127.0.0.1. The contract inventory lets agent-so-khcn
    advertise 198.18.1.10:9430 and its host name on any port; agent-core nothing more."""
    creds = {a: fleet.enrol(a, a.removeprefix("agent-")) for a in ("agent-so-khcn", "agent-core")}

    def beat(agent: str, advertise: str | None) -> dict[str, Any]:
        answer = client.post(f"/api/v1/agents/{agent}/heartbeat", headers=bearer(creds[agent]),
                             json=heartbeat_body(fleet.clock, advertise=advertise))  # fmt: skip
        assert answer.status_code == 200, answer.text  # the heartbeat itself always counts
        return dict(answer.json())

    def targets() -> dict[str, list[str]]:
        groups = client.get("/api/v1/sd", headers=fleet.user("viewer")).json()
        return {g["labels"]["agent"]: g["targets"] for g in groups}

    for allowed in ("127.0.0.1:9430", "198.18.1.10:9430", "AGENT-SO-KHCN.tinh.gov.vn.:9100"):
        assert beat("agent-so-khcn", allowed)["advertise_error"] is None
        assert targets() == {"agent-so-khcn": [allowed]}
    with caplog.at_level(logging.WARNING, logger="netwarden.collector"):
        # Listed with port 9430 only: another port on that host is refused.
        first = beat("agent-so-khcn", "198.18.1.10:22")
        again = beat("agent-so-khcn", "198.18.1.10:22")
        other = beat("agent-core", "10.0.0.1:9430")
    assert (
        first["advertise_error"]
        == again["advertise_error"]
        == (
            "advertised address 198.18.1.10:22 refused: agent agent-so-khcn connects from "
            "127.0.0.1 and the inventory allows only 198.18.1.10:9430, agent-so-khcn.tinh.gov.vn "
            "(agents[].advertise); Prometheus will not be told to scrape it"
        )
    )
    assert "the inventory lists no advertise address for it" in other["advertise_error"]
    assert targets() == {}  # nothing refused is published, nor kept from before
    assert store.agent("agent-so-khcn").advertise is None
    assert store.agent("agent-so-khcn").last_seen == fleet.clock.now
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert logged == [f"agent agent-so-khcn: {first['advertise_error']}",
                      f"agent agent-core: {other['advertise_error']}"]  # fmt: skip
    metrics = client.get("/metrics").text
    assert (
        'netwarden_collector_agent_advertise_refused{agent="agent-so-khcn",site="so-khcn"} 1.0'
        in metrics
    )
    assert beat("agent-so-khcn", None)["advertise_error"] is None  # pushing: nothing to check
    assert 'agent_advertise_refused{agent="agent-so-khcn",site="so-khcn"} 0.0' in client.get(
        "/metrics").text  # fmt: skip


def test_the_advertise_rule_on_ipv6_and_mapped_addresses() -> None:
    from netwarden.collector.api.advertise import refusal

    assert refusal("a", "[::1]:9430", "::1", None) is None
    assert refusal("a", "10.1.2.3:9430", "::ffff:10.1.2.3", None) is None  # dual-stack socket
    assert refusal("a", "[2001:db8::5]:9430", "10.1.2.3", ["2001:db8:0::5"]) is None
    assert refusal("a", "[2001:db8::5]:80", "10.1.2.3", ["[2001:db8::5]:9430"]) is not None
    # A name is never resolved: equal to the source address only if the inventory says so.
    assert refusal("a", "localhost:9430", "127.0.0.1", None) is not None
    assert refusal("a", "10.1.2.3:9430", None, None) is not None
