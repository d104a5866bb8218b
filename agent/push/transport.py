"""The HTTP side of remote write: one receiver, its TLS and bearer token, every failure mapped
to an :class:`~netwarden.agent.push.sender.Answer` at this seam (nothing above sees httpx).

Headers are the remote-write 1.0 ones: ``Content-Encoding: snappy``, ``Content-Type:
application/x-protobuf``, ``X-Prometheus-Remote-Write-Version: 0.1.0``.
"""

from __future__ import annotations

import email.utils
import ssl
import time

import httpx

from netwarden import __version__
from netwarden.agent.http_transport import AgentTransport
from netwarden.agent.push.sender import Answer
from netwarden.errors import NetwardenError, SecretError
from netwarden.inventory.model import PushTarget

CONNECT_TIMEOUT = 5.0  # a WAN outage shows in seconds, not after the whole request timeout
HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
    "User-Agent": f"netwarden-agent/{__version__}",
}


def _verify(target: PushTarget) -> bool | ssl.SSLContext:
    if target.ca_file is None:
        return target.tls_verify
    if not target.tls_verify:
        return False
    try:
        return ssl.create_default_context(cafile=target.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise NetwardenError(f"push ca_file {target.ca_file}: {exc}") from exc


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpReceiver:
    """Posts to ``target.url``; the token is read when the receiver is built (a reload of the
    inventory builds a new one)."""

    def __init__(self, target: PushTarget) -> None:
        self.url = target.url
        headers = dict(HEADERS)
        if target.bearer_token is not None:
            try:
                token = target.bearer_token.reveal()
            except SecretError as exc:
                raise NetwardenError(f"push bearer_token: {exc}") from exc
            headers["Authorization"] = f"Bearer {token}"
        timeout = httpx.Timeout(target.timeout, connect=min(CONNECT_TIMEOUT, target.timeout))
        # httpx's default limits and trust_env (a proxy or CA bundle from the environment), on
        # a transport that closes a connection cancelled in its TLS handshake (the agent
        # stopping or reloading with a post under way). The client's own verify still serves a
        # proxy from the environment, which gets a transport of its own.
        verify = _verify(target)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        transport = AgentTransport(verify, limits=limits, trust_env=True)
        self._client = httpx.AsyncClient(
            verify=verify, timeout=timeout, headers=headers, transport=transport
        )

    async def post(self, body: bytes) -> Answer:
        try:
            response = await self._client.post(self.url, content=body)
        except httpx.TimeoutException as exc:
            return Answer(None, f"no answer from {self.url} in time ({type(exc).__name__})")
        except httpx.HTTPError as exc:
            return Answer(None, f"cannot reach {self.url}: {exc or type(exc).__name__}")
        text = response.text.strip().splitlines()
        return Answer(
            response.status_code,
            text[0][:300] if text else response.reason_phrase,
            _retry_after(response.headers.get("Retry-After")),
        )

    async def close(self) -> None:
        await self._client.aclose()
