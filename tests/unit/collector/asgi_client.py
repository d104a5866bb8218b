"""A synchronous client for an ASGI app, on an event loop of its own thread.

Starlette's TestClient warns about httpx being deprecated for it (and pytest turns warnings
into errors), so the tests drive the app with httpx's ASGITransport instead. The app's lifespan
runs for as long as the client is open, as under uvicorn. ``submit`` starts a request without
waiting, for tests that need two requests in flight (a long-poll and the job that ends it).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

T = TypeVar("T")


class AsgiClient:
    """``get``/``post``/``request`` like httpx.Client, answered by ``app`` in-process."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._lifespan = contextlib.AsyncExitStack()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://collector", timeout=90
        )
        self.run(self._lifespan.enter_async_context(app.router.lifespan_context(app)))

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 90) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def submit(self, method: str, url: str, **kwargs: Any) -> Future[httpx.Response]:
        return asyncio.run_coroutine_threadsafe(
            self._client.request(method, url, **kwargs), self._loop
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.run(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        try:
            self.run(self._lifespan.aclose())
            self.run(self._client.aclose())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
