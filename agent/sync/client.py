"""The agent's HTTP client to the collector: pinned TLS, timeouts, the bearer credential, and
every failure mapped to a small :class:`Reply` at this seam (the loops never see an exception).

TLS trusts exactly one CA, the one pinned at enrolment (``ca.pem``), and checks the host name
of the collector URL against the certificate (the collector's certificate carries SANs for its
addresses). Timeouts: 5 s to connect, 10 s to read (a long poll passes its own read timeout).
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx

from netwarden import __version__
from netwarden.agent.http_transport import AgentTransport
from netwarden.agent.sync.replies import Outcome, Reply
from netwarden.errors import NetwardenError
from netwarden.secret import Secret

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
# An idle connection is kept this long (httpx's default is 5 s), so that the heartbeat every
# 15 s reuses it instead of paying a TLS handshake. The collector keeps idle connections 75 s
# (collector/serve.py): the agent always closes first, and never sends on a connection the
# collector is closing at that moment.
KEEPALIVE_EXPIRY = 60.0


def pinned_context(ca_pem: str) -> ssl.SSLContext:
    """A client TLS context trusting only ``ca_pem`` and checking the host name."""
    try:
        # With cadata, the system's CAs are not loaded: only the pinned one is trusted.
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=ca_pem)
    except (ssl.SSLError, ValueError) as exc:
        raise NetwardenError(f"the pinned collector CA is not a valid certificate: {exc}") from exc
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def _unquote(etag: str | None) -> str | None:
    if etag is None:
        return None
    return etag.removeprefix("W/").strip('"') or None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    text = response.text.strip().splitlines()
    return text[0][:200] if text else f"HTTP {response.status_code}"


def _to_reply(response: httpx.Response) -> Reply:
    status = response.status_code
    etag = _unquote(response.headers.get("etag"))
    if status == 304 or (200 <= status < 300 and not response.content):
        return Reply(Outcome.ok, status, None, etag)
    if 200 <= status < 300:
        try:
            return Reply(Outcome.ok, status, response.json(), etag)
        except ValueError:
            return Reply(Outcome.server_error, status, error="the collector answered invalid JSON")
    error = f"HTTP {status}: {_error_text(response)}"
    if status in (401, 403):
        return Reply(Outcome.revoked, status, error=error)
    if 400 <= status < 500:
        return Reply(Outcome.client_error, status, error=error)
    return Reply(Outcome.server_error, status, error=error)


class CollectorClient:
    """Requests to one collector. ``credential`` is the agent's (None while enrolling);
    ``ca_pem`` the pinned CA, or None with ``verify=False`` (only to fetch the CA itself)."""

    def __init__(
        self,
        base_url: str,
        *,
        credential: Secret | None = None,
        ca_pem: str | None = None,
        verify: bool = True,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credential = credential
        self._connect = connect_timeout
        self._read = read_timeout
        tls: ssl.SSLContext | bool = pinned_context(ca_pem) if ca_pem is not None else verify
        limits = httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY)
        # trust_env off: an HTTP(S)_PROXY or SSL_CERT_FILE meant for people must not divert the
        # agent. AgentTransport: a request cancelled in its TLS handshake closes its socket.
        if transport is None:
            transport = AgentTransport(tls, limits=limits, trust_env=False)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            verify=tls,
            transport=transport,
            headers={"User-Agent": f"netwarden-agent/{__version__}"},
            limits=limits,
            trust_env=False,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> Reply:
        """Send one request; every failure comes back as a Reply, never as an exception."""
        sent = dict(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/json"
        if self._credential is not None:
            try:
                sent["Authorization"] = f"Bearer {self._credential.reveal()}"
            except NetwardenError as exc:
                return Reply(Outcome.client_error, error=f"cannot read the credential: {exc}")
        read = self._read if read_timeout is None else read_timeout
        timeout = httpx.Timeout(connect=self._connect, read=read, write=self._read, pool=read)
        try:
            response = await self._http.request(
                method, path, content=body, headers=sent, params=params, timeout=timeout
            )
        except httpx.TimeoutException as exc:
            return Reply(Outcome.timeout, error=f"{method} {path}: no answer in time ({_why(exc)})")
        except httpx.HTTPError as exc:
            where = f"cannot reach the collector at {self.base_url}"
            return Reply(Outcome.unreachable, error=f"{where}: {_why(exc)}")
        return _to_reply(response)

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("GET", path, **kwargs)

    async def post_json(self, path: str, data: object, **kwargs: Any) -> Reply:
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        return await self.request("POST", path, body=body, **kwargs)

    async def aclose(self) -> None:
        await self._http.aclose()


def _why(exc: BaseException) -> str:
    """The innermost useful message of a transport error (httpx wraps OS and TLS errors)."""
    text = str(exc)
    cause = exc.__cause__ or exc.__context__
    while not text and cause is not None:
        text, cause = str(cause), cause.__cause__ or cause.__context__
    return (text or type(exc).__name__).splitlines()[0][:300]
