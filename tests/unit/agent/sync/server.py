"""Serve an ASGI app with uvicorn on 127.0.0.1 in a thread of its own: stop it and start it
again on the same port to simulate a collector (or WAN) outage.

While stopped, the port stays bound to a socket that does not listen: a connection is
refused, as with nothing there, and no other process can take the port meanwhile (closed, it
was free for a test process elsewhere to listen on, and the restart then failed)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

from tests.unit.agent.sync.tls import Tls


class ServerThread:
    """``start()``/``stop()`` any number of times; the port stays the same. ``close()`` at the
    end lets the port go."""

    def __init__(self, app: Any, tls: Tls | None = None) -> None:
        self.app, self.tls = app, tls
        self._holder: socket.socket | None = _bound(0)
        self.port = int(self._holder.getsockname()[1])
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        tls: dict[str, Any] = {}
        if self.tls is not None:
            tls = {"ssl_certfile": str(self.tls.cert_path), "ssl_keyfile": str(self.tls.key_path)}
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", http="h11",
                                ws="none", timeout_graceful_shutdown=1, **tls)  # fmt: skip
        server = uvicorn.Server(config)
        sock = self._holder if self._holder is not None else _bound(self.port)
        self._holder = None  # the server's now: it listens on it, and closes it when it stops
        self._server = server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                                        daemon=True)  # fmt: skip
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake collector did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._thread.is_alive():
            raise RuntimeError("the fake collector did not stop")
        self._server = self._thread = None
        self._holder = _bound(self.port)

    def close(self) -> None:
        """Stop, and let the port go."""
        self.stop()
        if self._holder is not None:
            self._holder.close()
            self._holder = None


def _bound(port: int) -> socket.socket:
    """A socket bound to ``port`` of 127.0.0.1, not listening (SO_REUSEADDR: the server's
    closed connections may still be in TIME_WAIT on it)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock
