"""The httpx transport of the agent's clients (to the collector, to a remote-write receiver):
httpx's own, except that a connection given up in its TLS handshake is closed, not leaked.

httpcore 1.0 closes the TCP connection under a TLS handshake that fails with an Exception, but
not one whose task is cancelled (``except Exception`` in httpcore/_backends/anyio.py). The
connection is not the pool's yet, so closing the client does not reach it either: its socket
stays open until the garbage collector finds it (an unclosed-socket ResourceWarning, and an
fd held meanwhile). The agent cancels requests whenever it stops or reloads, and a request to
a loaded or distant collector spends a good while in its handshake. httpx offers no option for
httpcore's network backend, so :class:`AgentTransport` builds its pool on one that wraps
httpcore's own and closes the TCP stream when the upgrade ends in any exception.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore
import httpx


class _Stream(httpcore.AsyncNetworkStream):
    """httpcore's TCP stream, whose TLS upgrade closes it on every failure."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(
        self,
        max_bytes: int,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
    ) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(
        self,
        buffer: bytes,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
    ) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        try:
            return await self._stream.start_tls(ssl_context, server_hostname, timeout)
        except BaseException:
            # In a cancelled scope: a cancelled task must not wait on the peer to close (what
            # anyio's aclose_forcefully does; the TCP stream is closed before the first await).
            # A handshake that failed with an Exception was closed already: closing is idempotent.
            with anyio.CancelScope() as scope:
                scope.cancel()
                await self._stream.aclose()
            raise

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's asyncio backend (what its AutoBackend picks under asyncio), its streams
    wrapped in :class:`_Stream`."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class AgentTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport(verify=..., trust_env=..., limits=..., local_address=...)``
    (no proxy), on :class:`_Backend`. A client given this transport ignores its own
    ``verify`` and ``limits``: pass them here."""

    def __init__(
        self,
        verify: ssl.SSLContext | bool,
        *,
        limits: httpx.Limits,
        trust_env: bool,
        local_address: str | None = None,
    ) -> None:
        context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        super().__init__(verify=context, limits=limits, local_address=local_address)
        # The pool httpx just built, the same but for its network backend (httpx has no option
        # for it); the transport only ever reaches its pool through this attribute.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            local_address=local_address,
            network_backend=_Backend(),
        )
