"""The client maps every answer and every failure to a Reply at the seam; TLS is pinned."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.replies import Outcome, Reply
from netwarden.errors import NetwardenError
from netwarden.secret import Secret
from tests.unit.agent.silent_tls import cancel_in_handshake, resource_warnings, silent_tls_server
from tests.unit.agent.sync.conftest import run_async
from tests.unit.agent.sync.server import ServerThread
from tests.unit.agent.sync.tls import Tls, make_tls


async def _status(request: Request) -> Response:
    code = int(request.path_params["code"])
    if code == 304:
        return Response(status_code=304, headers={"ETag": '"abc"'})
    if code == 200:
        seen = {"auth": request.headers.get("authorization"), "ua": request.headers["user-agent"]}
        return JSONResponse(seen, headers={"ETag": 'W/"abc"'})
    return JSONResponse({"error": f"said {code}"}, status_code=code)


async def _slow(request: Request) -> Response:
    await asyncio.sleep(float(request.query_params["s"]))
    return JSONResponse({})


async def _garbage(request: Request) -> Response:
    return PlainTextResponse("<html>proxy says hi</html>")


APP = Starlette(routes=[Route("/s/{code}", _status), Route("/slow", _slow),
                        Route("/garbage", _garbage)])  # fmt: skip


@pytest.fixture
def tls_server(tls: Tls) -> Iterator[ServerThread]:
    thread = ServerThread(APP, tls)
    thread.start()
    yield thread
    thread.close()


def _request(client: CollectorClient, path: str, **kwargs: object) -> Reply:
    async def go() -> Reply:
        try:
            return await client.get(path, **kwargs)  # type: ignore[arg-type]
        finally:
            await client.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("code", "outcome"),
    [(200, Outcome.ok), (304, Outcome.ok), (401, Outcome.revoked), (403, Outcome.revoked),
     (404, Outcome.client_error), (413, Outcome.client_error), (500, Outcome.server_error),
     (503, Outcome.server_error)],
)  # fmt: skip
def test_statuses_map_to_outcomes(
    code: int, outcome: Outcome, tls: Tls, tls_server: ServerThread
) -> None:
    reply = _request(CollectorClient(tls_server.url, ca_pem=tls.ca_pem), f"/s/{code}")
    assert (reply.outcome, reply.status) == (outcome, code)
    if code >= 400:
        assert reply.error == f"HTTP {code}: said {code}"
    if code in (200, 304):
        assert reply.etag == "abc"


def test_the_credential_is_sent_as_a_bearer_token(
    tmp_path: Path, tls: Tls, tls_server: ServerThread
) -> None:
    (tmp_path / "credential").write_text("nwa.agent-a.s3cret\n")
    client = CollectorClient(tls_server.url, ca_pem=tls.ca_pem,
                             credential=Secret(f"file:{tmp_path}/credential"))  # fmt: skip
    reply = _request(client, "/s/200")
    assert reply.data["auth"] == "Bearer nwa.agent-a.s3cret"
    assert reply.data["ua"].startswith("netwarden-agent/")


def test_an_unreadable_credential_is_a_reply_not_an_exception(tls: Tls) -> None:
    client = CollectorClient("https://127.0.0.1:9", ca_pem=tls.ca_pem,
                             credential=Secret("file:/nonexistent/credential"))  # fmt: skip
    reply = _request(client, "/s/200")
    assert reply.outcome is Outcome.client_error and reply.status is None
    assert "cannot read the credential" in reply.error


def test_a_closed_port_is_unreachable(tls: Tls) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        reply = _request(CollectorClient(f"https://127.0.0.1:{port}", ca_pem=tls.ca_pem), "/")
    assert reply.outcome is Outcome.unreachable
    assert reply.error.startswith(f"cannot reach the collector at https://127.0.0.1:{port}: ")


def test_no_answer_in_time_is_a_timeout(tls: Tls, tls_server: ServerThread) -> None:
    client = CollectorClient(tls_server.url, ca_pem=tls.ca_pem, read_timeout=0.2)
    assert _request(client, "/slow", params={"s": "2"}).outcome is Outcome.timeout
    # A long poll passes a longer read timeout for that one request.
    client = CollectorClient(tls_server.url, ca_pem=tls.ca_pem, read_timeout=0.2)
    assert _request(client, "/slow", params={"s": "0.5"}, read_timeout=3.0).ok


def test_a_non_json_answer_is_a_server_error(tls: Tls, tls_server: ServerThread) -> None:
    reply = _request(CollectorClient(tls_server.url, ca_pem=tls.ca_pem), "/garbage")
    assert reply.outcome is Outcome.server_error
    assert reply.error == "the collector answered invalid JSON"


def test_tls_trusts_only_the_pinned_ca(tmp_path: Path, tls_server: ServerThread) -> None:
    other = make_tls(tmp_path / "other", name="other")
    reply = _request(CollectorClient(tls_server.url, ca_pem=other.ca_pem), "/s/200")
    assert reply.outcome is Outcome.unreachable
    assert "certificate verify failed" in reply.error


def test_tls_checks_the_host_name_of_the_url(tls: Tls, tls_server: ServerThread) -> None:
    # The certificate names 127.0.0.1 only: the same server reached as "localhost" is refused.
    url = tls_server.url.replace("127.0.0.1", "localhost")
    reply = _request(CollectorClient(url, ca_pem=tls.ca_pem), "/s/200")
    assert reply.outcome is Outcome.unreachable
    assert "certificate verify failed" in reply.error
    assert "localhost" in reply.error or "match" in reply.error


def test_a_broken_ca_file_is_one_clear_error() -> None:
    with pytest.raises(NetwardenError, match="pinned collector CA is not a valid certificate"):
        CollectorClient("https://127.0.0.1:9", ca_pem="-----BEGIN CERTIFICATE-----\nxx\n")


@run_async
async def test_unverified_client_is_only_for_fetching_the_ca(tls_server: ServerThread) -> None:
    client = CollectorClient(tls_server.url, verify=False)
    assert (await client.get("/s/200")).ok
    await client.aclose()


def test_a_request_cancelled_in_the_tls_handshake_closes_its_socket(tls: Tls) -> None:
    """The agent stopping cancels its requests; one may be in its TLS handshake (a loaded or
    distant collector). httpcore closes the TCP connection when a handshake fails, not when it
    is cancelled: leaked, it surfaced as an unclosed-socket ResourceWarning in whichever test
    ran next (test_config_revisions' agent, stopped at a load of 15)."""

    async def scenario() -> None:
        async with silent_tls_server() as (port, hello):
            client = CollectorClient(f"https://127.0.0.1:{port}", ca_pem=tls.ca_pem)
            try:
                await cancel_in_handshake(client.get("/s/200"), hello)
            finally:
                await client.aclose()

    assert resource_warnings(scenario) == []
