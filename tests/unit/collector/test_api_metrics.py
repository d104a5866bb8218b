"""The collector's /metrics (names of the contract, fleet states) and the health checks."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.conftest import Clock, Fleet, bearer, heartbeat_body

AGENT = "agent-so-khcn"


def _samples(client: AsgiClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def test_metrics_names_and_fleet_states(fleet: Fleet, client: AsgiClient, clock: Clock) -> None:
    cred = fleet.enrol()
    fleet.join("agent-dc", "dc")
    client.post(f"/api/v1/agents/{AGENT}/heartbeat", headers=bearer(cred),
                json=heartbeat_body(clock, queue_depth=7, spool_depth=1234))  # fmt: skip
    client.get("/api/v1/fleet")  # a 401, counted like any answer
    samples = _samples(client)
    who = frozenset({("agent", AGENT), ("site", "so-khcn")})
    assert samples[("netwarden_collector_agents", frozenset({("state", "up")}))] == 1
    assert samples[("netwarden_collector_agents", frozenset({("state", "never")}))] == 1
    assert samples[("netwarden_collector_agents", frozenset({("state", "stale")}))] == 0
    assert samples[("netwarden_collector_agent_up", who)] == 1
    assert samples[("netwarden_collector_agent_last_seen_timestamp_seconds", who)] == clock.now
    assert samples[("netwarden_collector_agent_clock_offset_seconds", who)] == 2.5
    assert samples[("netwarden_collector_agent_queue_depth", who)] == 7
    assert samples[("netwarden_collector_agent_push_spool_samples", who)] == 1234
    hb = frozenset({("route", "/api/v1/agents/{agent_id}/heartbeat"), ("method", "POST"),
                    ("code", "200")})  # fmt: skip
    assert samples[("netwarden_collector_requests_total", hb)] == 1
    denied = frozenset({("route", "/api/v1/fleet"), ("method", "GET"), ("code", "401")})
    assert samples[("netwarden_collector_requests_total", denied)] == 1
    count = frozenset({("route", "/api/v1/agents/{agent_id}/heartbeat"), ("method", "POST")})
    assert samples[("netwarden_collector_request_duration_seconds_count", count)] == 1
    clock.now += 60
    later = _samples(client)
    assert later[("netwarden_collector_agent_up", who)] == 0
    assert later[("netwarden_collector_agents", frozenset({("state", "stale")}))] == 1


def test_unmatched_paths_share_one_label(client: AsgiClient) -> None:
    for n in range(3):
        client.get(f"/scanner/probe-{n}")
    samples = _samples(client)
    key = frozenset({("route", "unmatched"), ("method", "GET"), ("code", "404")})
    assert samples[("netwarden_collector_requests_total", key)] == 3


def test_health_and_readiness(client: AsgiClient) -> None:
    assert client.get("/-/healthy").status_code == 200
    assert client.get("/-/ready").text == "ok\n"
