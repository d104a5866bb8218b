"""The agent's HTTP endpoint over a real loopback socket."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator

import pytest

from netwarden.agent.http_server import CONTENT_TYPE_METRICS, MetricsServer


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_routes() -> None:
    ready: list[str | None] = ["2 of 3 devices not polled yet"]

    def render() -> Iterator[bytes]:
        yield b"# TYPE up gauge\n"
        yield b"up 1\n"

    async def scenario() -> None:
        server = MetricsServer(render, lambda: ready[0])
        host, port = await server.start("127.0.0.1", 0)
        base = f"http://{host}:{port}"
        try:
            status, ctype, body = await asyncio.to_thread(_get, base + "/metrics")
            assert (status, ctype, body) == (200, CONTENT_TYPE_METRICS, "# TYPE up gauge\nup 1\n")
            assert (await asyncio.to_thread(_get, base + "/-/healthy"))[0] == 200
            status, _, body = await asyncio.to_thread(_get, base + "/-/ready")
            assert (status, body) == (503, "2 of 3 devices not polled yet\n")
            ready[0] = None
            assert (await asyncio.to_thread(_get, base + "/-/ready"))[0] == 200
            assert (await asyncio.to_thread(_get, base + "/nope"))[0] == 404
        finally:
            await server.close()

    asyncio.run(scenario())


def test_a_failing_render_is_a_500_not_a_dead_agent(caplog: pytest.LogCaptureFixture) -> None:
    def render() -> Iterator[bytes]:
        raise RuntimeError("boom")
        yield b""  # a generator that fails on its first chunk

    async def scenario() -> None:
        server = MetricsServer(render, lambda: None)
        host, port = await server.start("127.0.0.1", 0)
        try:
            status, _, _ = await asyncio.to_thread(_get, f"http://{host}:{port}/metrics")
            assert status == 500
            status, _, _ = await asyncio.to_thread(_get, f"http://{host}:{port}/-/healthy")
            assert status == 200
        finally:
            await server.close()

    asyncio.run(scenario())
    assert "rendering /metrics failed" in caplog.text


def test_garbage_request_is_a_400() -> None:
    async def scenario() -> bytes:
        server = MetricsServer(lambda: iter([b""]), lambda: None)
        host, port = await server.start("127.0.0.1", 0)
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"NONSENSE\r\n\r\n")
            await writer.drain()
            answer = await reader.read()
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return answer
        finally:
            await server.close()

    assert asyncio.run(scenario()).startswith(b"HTTP/1.1 400 Bad Request")


def test_a_large_page_streams_every_chunk_without_a_content_length() -> None:
    chunks = [f"# TYPE m{n} gauge\nm{n} {n}\n".encode() * 2000 for n in range(50)]

    async def scenario() -> bytes:
        server = MetricsServer(lambda: iter(chunks), lambda: None)
        host, port = await server.start("127.0.0.1", 0)
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            answer = await reader.read()
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return answer
        finally:
            await server.close()

    head, _, body = asyncio.run(scenario()).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"Content-Length" not in head
    assert body == b"".join(chunks)


def test_a_connection_open_at_shutdown_is_closed_not_leaked() -> None:
    """A scraper connected when the agent stops (its request not sent yet, or the page still
    rendering): the handler is cancelled with the loop, and must still close its socket.
    Leaked, it surfaced as an unclosed-socket ResourceWarning in whichever test ran next."""

    async def main() -> None:
        server = MetricsServer(lambda: iter([b"x 1\n"]), lambda: None)
        host, port = await server.start("127.0.0.1", 0)
        _reader, writer = await asyncio.open_connection(host, port)
        for _ in range(20):  # a few turns of the loop: the server accepts, its handler waits
            await asyncio.sleep(0)
        await server.close()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def test_metrics_render_while_the_default_executor_is_full() -> None:
    """Blocking work (a name lookup of a library during a DNS outage) may fill the loop's
    default executor; a scrape renders on the server's own threads all the same."""
    release = threading.Event()

    async def scenario() -> bool:
        loop = asyncio.get_running_loop()
        # Every default executor thread held until the scrape is over (60 s at most): a render
        # queued behind them would not answer within the read's 30 s.
        stuck = [loop.run_in_executor(None, release.wait, 60.0) for _ in range(40)]
        server = MetricsServer(lambda: iter([b"up 1\n"]), lambda: None)
        host, port = await server.start("127.0.0.1", 0)
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            async with asyncio.timeout(30):
                answer = await reader.read()
            still_full = not any(job.done() for job in stuck)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            assert answer.endswith(b"\r\n\r\nup 1\n")
            return still_full
        finally:
            await server.close()
            release.set()
            await asyncio.gather(*stuck)

    # Answered while the executor was still full, however long a loaded machine took (held
    # to 1 s, a slow machine failed it without any executor in the way).
    assert asyncio.run(scenario())
