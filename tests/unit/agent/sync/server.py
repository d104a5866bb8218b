"""Serve an ASGI app with uvicorn on 127.0.0.1 in a thread of its own: stop it and start it
again on the same port to simulate a collector (or WAN) outage."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

from tests.unit.agent.sync.tls import Tls


class ServerThread:
    """``start()``/``stop()`` any number of times; the port stays the same."""

    def __init__(self, app: Any, tls: Tls | None = None) -> None:
        self.app, self.tls = app, tls
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = int(probe.getsockname()[1])
        probe.close()
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
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
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
