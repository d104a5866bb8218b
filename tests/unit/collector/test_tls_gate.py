"""The TLS gate in-process, on uvloop (as ``collector serve`` runs) and on asyncio's own loop
(where uvloop is absent): admission before the handshake, and every connection counted once
and released once, whichever way it ends.

Clients are blocking sockets in a worker thread, so that the test's event loop serves them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvloop
from uvicorn.config import Config
from uvicorn.server import ServerState

from netwarden.collector.connections import Admission, ConnectionLimits, ConnectionStats
from netwarden.collector.guarded_protocol import GuardedHttpToolsProtocol, guarded_protocol
from netwarden.collector.tls import TlsFiles, ensure_tls
from netwarden.collector.tls_gate import gate_factory

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "uvloop": uvloop.new_event_loop,
    "asyncio": asyncio.new_event_loop,
}
REQUEST = b"GET /who HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n"
WITHIN = 20.0  # s any single wait may take on a loaded machine
# The handshake time of the test that waits it out. Every other handshake gets WITHIN: it must
# succeed, and one that has to fit in 0.5 s fails whenever the client's thread stalls that long.
HANDSHAKE_TIMEOUT = 0.5


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return ensure_tls(tmp_path_factory.mktemp("gate"), ["127.0.0.1"])


@pytest.fixture(params=sorted(LOOPS))
def loop_factory(request: pytest.FixtureRequest) -> Callable[[], asyncio.AbstractEventLoop]:
    return LOOPS[request.param]


async def _who(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with what the app sees of the connection: its scheme and client address."""
    if scope["type"] != "http":
        return
    body = json.dumps({"scheme": scope["scheme"], "client": scope["client"][0]}).encode()
    length = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": length})
    await send({"type": "http.response.body", "body": body})


@dataclass
class SeenStats(ConnectionStats):
    """The collector's counts, plus how many connections the gate has seen (admitted or not)."""

    seen: int = 0

    def enter(self, address: str) -> Admission | str:
        self.seen += 1
        return super().enter(address)


@dataclass
class Gated:
    stats: SeenStats
    port: int
    client: ssl.SSLContext
    handshake_timeout: float  # the next connection's: each gate reads it when it is made
    connected: int = 0  # connections the test's clients opened (one client thread at a time)

    def connect(self, source: str = "127.0.0.1") -> socket.socket:
        sock = socket.create_connection(
            ("127.0.0.1", self.port), timeout=WITHIN, source_address=(source, 0)
        )
        self.connected += 1
        return sock

    def tls(self, source: str = "127.0.0.1") -> ssl.SSLSocket:
        return self.client.wrap_socket(self.connect(source), server_hostname="127.0.0.1")

    async def settled(self) -> None:
        """Wait (bounded) until the gate has seen every connection the clients opened and
        every one is released; a release missed or made twice leaves the counts off zero.
        Zero open before the server has even accepted a connection (a client that left at
        once) proves nothing, and the test's loop would then close with that socket open."""
        deadline = time.monotonic() + WITHIN
        for _ in range(int(WITHIN / 0.02)):
            done = self.stats.seen == self.connected
            if (done and not self.stats.open_total and not self.stats.by_address) or (
                time.monotonic() > deadline
            ):
                break
            await asyncio.sleep(0.02)
        assert self.stats.seen == self.connected, (self.stats.seen, self.connected)
        assert self.stats.open_total == 0 and not self.stats.by_address, self.stats


@contextlib.asynccontextmanager
async def _gated(
    files: TlsFiles, limits: ConnectionLimits, handshake_timeout: float = WITHIN
) -> AsyncIterator[Gated]:
    """A server as ``collector serve`` builds it over TLS: no ``ssl`` on the listener, a gate
    per connection, the guarded protocol after the handshake."""
    stats = SeenStats(limits)
    config = Config(_who, http=guarded_protocol(stats), lifespan="off", log_config=None)
    config.load()
    state = ServerState()
    loop = asyncio.get_running_loop()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.server_cert, files.server_key)

    def make() -> GuardedHttpToolsProtocol:
        return config.http_protocol_class(config, state, {}, loop)  # type: ignore[call-arg,return-value]

    client = ssl.create_default_context(cafile=str(files.ca_cert))
    gated = Gated(stats, 0, client, handshake_timeout)

    def gate() -> asyncio.Protocol:
        return gate_factory(stats, context, make, gated.handshake_timeout)()

    server = await loop.create_server(gate, "127.0.0.1", 0)
    gated.port = server.sockets[0].getsockname()[1]
    try:
        yield gated
    finally:
        server.close()


def _run(loop_factory: Callable[[], asyncio.AbstractEventLoop], main: Any) -> None:
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main)


def _until_closed(sock: socket.socket) -> bytes:
    """Everything the peer sends until it closes (a reset counts as closed)."""
    data = b""
    with sock:
        sock.settimeout(WITHIN)
        for _ in range(1000):
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    return data


def _answer(sock: ssl.SSLSocket) -> dict[str, str]:
    sock.sendall(REQUEST)
    head, _, body = _until_closed(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    answer: dict[str, str] = json.loads(body)
    return answer


def _client_hello(context: ssl.SSLContext) -> bytes:
    """The bytes a TLS client sends first."""
    sslobj = context.wrap_bio(ssl.MemoryBIO(), outgoing := ssl.MemoryBIO(), server_hostname="c")
    with contextlib.suppress(ssl.SSLWantReadError):
        sslobj.do_handshake()
    return outgoing.read()


def test_an_admitted_connection_speaks_tls_and_the_app_sees_https_and_its_client(
    tls_files: TlsFiles, loop_factory: Callable[[], asyncio.AbstractEventLoop]
) -> None:
    async def main() -> None:
        async with _gated(tls_files, ConnectionLimits()) as gated:
            answer = await asyncio.to_thread(lambda: _answer(gated.tls("127.0.0.7")))
            assert answer == {"scheme": "https", "client": "127.0.0.7"}
            await gated.settled()

    _run(loop_factory, main())


def test_a_connection_over_the_limit_is_closed_before_any_tls_byte(
    tls_files: TlsFiles, loop_factory: Callable[[], asyncio.AbstractEventLoop]
) -> None:
    """The refused client sends a real ClientHello and gets no ServerHello, no byte at all;
    the two admitted connections still work."""

    def attempt(gated: Gated) -> tuple[bytes, list[dict[str, str]]]:
        held = [gated.tls(), gated.tls()]  # handshakes done: both counted
        over = gated.connect()
        over.sendall(_client_hello(gated.client))
        refused = _until_closed(over)
        return refused, [_answer(sock) for sock in held]

    async def main() -> None:
        async with _gated(tls_files, ConnectionLimits(max_per_address=2)) as gated:
            refused, answers = await asyncio.to_thread(attempt, gated)
            assert refused == b""
            assert answers == [{"scheme": "https", "client": "127.0.0.1"}] * 2
            assert gated.stats.closed["limit_per_address"] == 1
            await gated.settled()

    _run(loop_factory, main())


def _stall(gated: Gated, send: bytes) -> tuple[bytes, float]:
    # Before the connect: the handshake's clock starts at the accept, which cannot come first.
    start = time.monotonic()
    sock = gated.connect()
    sock.sendall(send)
    return _until_closed(sock), time.monotonic() - start


@pytest.mark.parametrize(
    ("send", "reason"), [(b"", "timed out"), (REQUEST, "plain HTTP on the TLS port")]
)
def test_a_failed_handshake_is_counted_and_its_connection_released(
    tls_files: TlsFiles,
    loop_factory: Callable[[], asyncio.AbstractEventLoop],
    send: bytes,
    reason: str,
) -> None:
    async def main() -> None:
        limits = ConnectionLimits(max_per_address=1)
        async with _gated(tls_files, limits, HANDSHAKE_TIMEOUT) as gated:
            data, took = await asyncio.to_thread(_stall, gated, send)
            assert not data.startswith(b"HTTP"), data  # no plain-text answer on a TLS port
            if not send:
                assert HANDSHAKE_TIMEOUT - 0.1 <= took <= HANDSHAKE_TIMEOUT + WITHIN
            assert gated.stats.closed["tls_handshake"] == 1, reason
            await gated.settled()
            gated.handshake_timeout = WITHIN  # the next handshake is to succeed
            # Its slot is free again: the only one this address has.
            answer = await asyncio.to_thread(lambda: _answer(gated.tls()))
            assert answer["scheme"] == "https"
            await gated.settled()

    _run(loop_factory, main())


def test_a_client_leaving_during_the_handshake_is_released_and_not_called_a_failure(
    tls_files: TlsFiles, loop_factory: Callable[[], asyncio.AbstractEventLoop]
) -> None:
    def leave(gated: Gated) -> None:
        with gated.connect() as sock:
            sock.sendall(_client_hello(gated.client)[:20])  # half a ClientHello, then gone

    async def main() -> None:
        async with _gated(tls_files, ConnectionLimits()) as gated:
            await asyncio.to_thread(leave, gated)
            await gated.settled()
            assert gated.stats.closed["tls_handshake"] == 0

    _run(loop_factory, main())


def _request_with_the_finished_message(
    gated: Gated, hello_sent: threading.Event | None = None
) -> bytes:
    """A TLS client whose request leaves in the same segment as its handshake's last message,
    so that the server reads both at once: the request arrives before the HTTP protocol has
    taken the connection over, and must not be lost."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    sslobj = gated.client.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with gated.connect() as sock:
        for _ in range(20):  # a TLS 1.3 handshake takes one round trip
            try:
                sslobj.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                if hello_sent is not None:
                    hello_sent.set()
                incoming.write(sock.recv(65536))
        sslobj.write(REQUEST)
        sock.sendall(outgoing.read())  # Finished + request together
        return _whole_answer(_decrypted(sock, sslobj, incoming))


def _decrypted(
    sock: socket.socket, sslobj: ssl.SSLObject, incoming: ssl.MemoryBIO
) -> Iterator[bytes]:
    """The answer's bytes as they come (the caller stops once it has the whole answer)."""
    for _ in range(1000):
        chunk = sock.recv(65536)
        if not chunk:
            return
        incoming.write(chunk)
        with contextlib.suppress(ssl.SSLWantReadError):
            while data := sslobj.read(65536):
                yield data


def _whole_answer(parts: Iterator[bytes]) -> bytes:
    data = b""
    for part in parts:
        data += part
        head, _, body = data.partition(b"\r\n\r\n")
        length = head.lower().partition(b"content-length: ")[2].split(b"\r\n")[0]
        if length and len(body) >= int(length):
            break
    return data


def test_a_request_sent_with_the_end_of_the_handshake_is_answered(
    tls_files: TlsFiles, loop_factory: Callable[[], asyncio.AbstractEventLoop]
) -> None:
    async def main() -> None:
        async with _gated(tls_files, ConnectionLimits()) as gated:
            data = await asyncio.to_thread(_request_with_the_finished_message, gated)
            assert data.startswith(b"HTTP/1.1 200"), data[:200]
            await gated.settled()

    _run(loop_factory, main())


def test_a_client_hello_waiting_in_the_socket_at_accept_is_not_lost(
    tls_files: TlsFiles, loop_factory: Callable[[], asyncio.AbstractEventLoop]
) -> None:
    """A client sends its ClientHello with its first packet: by the time the server accepts,
    it is in the socket, and the gate reads it before start_tls exists (uvloop reads as soon
    as connection_made returns). The loop is held until the hello is sent to make it so."""

    async def main() -> None:
        async with _gated(tls_files, ConnectionLimits()) as gated:
            sent = threading.Event()
            loop = asyncio.get_running_loop()
            answer = loop.run_in_executor(None, _request_with_the_finished_message, gated, sent)
            assert sent.wait(WITHIN)  # blocks the loop on purpose: no accept before the hello
            data = await answer
            assert data.startswith(b"HTTP/1.1 200"), data[:200]
            await gated.settled()

    _run(loop_factory, main())
