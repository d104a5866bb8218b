"""Bad input never gets a 500: every route fuzzed with malformed bodies and bad credentials.

And the other side: a real bug answers 500 with a fixed message and a logged traceback, and a
failing store answers 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netwarden.collector.api.app import routes
from netwarden.collector.store.errors import StoreError, StoreInputError
from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.conftest import Clock, Fleet, bearer, heartbeat_body

AGENT = "agent-so-khcn"


def _every_route() -> list[tuple[str, str]]:
    found = []
    for route in routes():
        path = getattr(route, "path", "").replace("{agent_id}", AGENT)
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                found.append((method, path))
    return found


ROUTES = _every_route()
BAD_BODIES: list[bytes] = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"\xff\xfe\x00",
    b'{"results": NaN}',
    b'{"sent_at": Infinity}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a": ' + b"9" * 5000 + b"}",
    b'{"results": [{"id": null}]}',
    b'{"results": "many"}',
    b'{"token": 1, "hostname": [], "version": {}}',
    b'{"kind": "' + b"k" * 300 + b'"}',
    b'{"sent_at": 1e400}',
    b'{"devices_assigned": 99999999999999999999999}',
    b'{"hostname": "a\\u0000b", "token": "nwj.x", "version": "1"}',
    b"x" * (1024 * 1024 + 1),
]
BAD_AUTH: list[dict[str, Any]] = [
    {},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer    "},
    {"Authorization": "Bearer nwa."},
    {"Authorization": "Bearer nwa.agent-so-khcn."},
    {"Authorization": "Bearer nwa..x"},
    {"Authorization": "Bearer nwu."},
    {"Authorization": "Bearer nwj.something"},
    {"Authorization": "Bearer " + "nwa." + "a" * 4000 + ".x"},
    {"Authorization": "Bearer nwa.agent-so-khcn.sécret".encode()},  # not ASCII
]


def _ok(status: int) -> bool:
    return status < 500


def test_bad_credentials_get_4xx_on_every_route(fleet: Fleet, client: AsgiClient) -> None:
    fleet.enrol()
    for method, path in ROUTES:
        for headers in BAD_AUTH:
            answer = client.request(method, path, headers=headers, content=b"{}")
            assert _ok(answer.status_code), (method, path, headers, answer.text)
            if path.startswith("/api/v1/agents") or path in ("/api/v1/fleet", "/api/v1/sd"):
                assert answer.status_code == 401, (method, path, headers)
            if answer.status_code >= 400:
                assert isinstance(answer.json()["error"], str)


def test_malformed_bodies_get_4xx_with_valid_credentials(fleet: Fleet, client: AsgiClient) -> None:
    agent = bearer(fleet.enrol())
    admin = fleet.user("admin")
    for method, path in ROUTES:
        if method != "POST":
            continue
        for body in BAD_BODIES:
            for headers in (agent, admin):
                answer = client.request(method, path, headers=headers, content=body)
                assert _ok(answer.status_code), (method, path, body[:40], answer.text)
                if not path.endswith("/revoke"):  # revoke takes no body and reads none
                    assert answer.status_code != 200, (method, path, body[:40])
                if answer.status_code >= 400:
                    assert isinstance(answer.json()["error"], str)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = ["token", "hostname", "version", "sent_at", "started_at", "devices_assigned",
          "polls_ok", "queue_depth", "advertise", "assignment_etag", "results", "kind",
          "params", "id", "at", "job", "payload"]  # fmt: skip
BODIES = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8) | JSON


VALID: dict[str, dict[str, Any]] = {
    "/api/v1/enroll": {"token": "nwj.x", "hostname": "h", "version": "1"},
    f"/api/v1/agents/{AGENT}/heartbeat": heartbeat_body(Clock()),
    f"/api/v1/agents/{AGENT}/results": {"results": [
        {"id": "6f1c7a52-4a43-4c1e-9d0e-1b1f0d7e2c11", "kind": "event", "at": 1.0, "job": None,
         "payload": {}}]},
    f"/api/v1/agents/{AGENT}/jobs": {"kind": "echo", "params": {}},
}  # fmt: skip


def _mutated(path: str, key: str, value: Any) -> dict[str, Any]:
    body = dict(VALID[path])
    if key in body:
        body[key] = value
    elif "results" in body:  # reach into the result, where most fields live
        body["results"] = [{**body["results"][0], key: value}]
    return body


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(sorted(VALID)),
    random_body=BODIES,
    key=st.sampled_from(FIELDS),
    value=JSON,
    mutate=st.booleans(),
)
def test_random_json_bodies_never_get_500(
    fleet: Fleet, client: AsgiClient, path: str, random_body: Any, key: str, value: Any,
    mutate: bool,
) -> None:  # fmt: skip
    """Random JSON, or a valid body with one field replaced by random JSON: never a 500."""
    body = _mutated(path, key, value) if mutate else random_body
    headers = fleet.user("admin") if path.endswith("/jobs") else bearer(_credential(fleet))
    answer = client.request("POST", path, headers=headers, json=body)
    assert _ok(answer.status_code), (path, body, answer.text)


_CREDENTIALS: dict[int, str] = {}


def _credential(fleet: Fleet) -> str:
    # One enrolment per test run, not per example: hypothesis reuses the fixture.
    key = id(fleet)
    if key not in _CREDENTIALS:
        _CREDENTIALS[key] = fleet.enrol()
    return _CREDENTIALS[key]


def test_bad_query_parameters_are_400(fleet: Fleet, client: AsgiClient) -> None:
    agent = bearer(fleet.enrol())
    viewer = fleet.user("admin")
    for path, headers in [(f"/api/v1/agents/{AGENT}/jobs?wait=", agent),
                          (f"/api/v1/agents/{AGENT}/jobs?wait=1e999", agent),
                          (f"/api/v1/agents/{AGENT}/results?limit=" + "9" * 50, viewer),
                          (f"/api/v1/agents/{AGENT}/results?since=inf", viewer),
                          ("/api/v1/audit?limit=-5", viewer)]:  # fmt: skip
        answer = client.get(path, headers=headers)
        assert answer.status_code == 400, path


def test_unknown_route_and_wrong_method_answer_json(client: AsgiClient) -> None:
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no such route: GET /api/v1/nothing"}
    wrong = client.request("DELETE", "/api/v1/fleet")
    assert wrong.status_code == 405
    assert "DELETE" in wrong.json()["error"]


class _Broken:
    """A store whose listing has a bug (or whose database is down)."""

    def __init__(self, inner: Any, exc: Exception) -> None:
        self._inner, self._exc = inner, exc

    def agents(self) -> Any:
        raise self._exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [(RuntimeError("boom"), 500, "internal error, see collector log"),
     (StoreError("database is locked"), 503, "the collector's store failed: database is locked"),
     (StoreInputError("hostname is longer than 255"), 400, "hostname is longer than 255")],
)  # fmt: skip
def test_a_bug_is_500_and_a_store_failure_503(
    store: Any, fleet: Fleet, make_client: Callable[..., AsgiClient],
    caplog: pytest.LogCaptureFixture, exc: Exception, status: int, message: str,
) -> None:  # fmt: skip
    client = make_client()
    client.app.state.nw.store = _Broken(store, exc)
    with caplog.at_level(logging.ERROR):
        answer = client.get("/api/v1/fleet", headers=fleet.user("viewer"))
    assert answer.status_code == status
    assert answer.json() == {"error": message}
    if status == 500:
        assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)
    # The app keeps serving.
    assert client.get("/-/healthy").status_code == 200
