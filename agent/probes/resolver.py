"""Name lookups that cannot stall the agent: IP literals never leave the event loop, names go to
a small pool of daemon threads of their own.

asyncio resolves every host, an IP literal included, with ``getaddrinfo`` in the loop's default
executor, which other work shares. With the resolvers not answering, each lookup blocks a thread
for the resolver's whole timeout (20 s measured), the default executor's six threads fill up,
and probes of plain addresses, /metrics rendering and shutdown all queue behind them. Here:

* a literal (``198.18.1.2``, ``2001:2::5``) is parsed on the loop (``AI_NUMERICHOST``, which
  never queries anything);
* a name waits for one of ``workers`` daemon threads, bounded by the caller's deadline (the
  caller cancels; the thread finishes its lookup, and its answer goes to whoever still waits);
* concurrent lookups of the same name share one thread, a lookup nobody waits for any more is
  dropped before it starts, and at most ``max_waiting`` lookups queue: beyond that a lookup
  fails at once (``EAI_AGAIN``) instead of queueing for ever;
* the threads are daemons: a lookup stuck in the C library never holds up the process's exit.

Errors are ``socket.gaierror``, as from ``loop.getaddrinfo``, so the resolver can stand in for
it (see ``agent/event_loop.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, cast

# socket.getaddrinfo's rows: family, type, proto, canonical name, socket address
AddrRow = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]
# host, port, family, type, proto, flags: getaddrinfo's arguments
Key = tuple[str | None, Any, int, int, int, int]
Lookup = Callable[[Key], list[AddrRow]]

WORKERS: Final = 8
MAX_WAITING: Final = 1024
_NUMERIC: Final = socket.AI_NUMERICHOST
_Outcome = tuple[list[AddrRow] | None, Exception | None]


def system_lookup(key: Key) -> list[AddrRow]:
    """``socket.getaddrinfo(*key)`` (blocking: never call it on the event loop with a name)."""
    return cast(list[AddrRow], socket.getaddrinfo(*key))


def is_ip_literal(host: str) -> bool:
    """True for an IPv4 or IPv6 address as text (a zone, ``fe80::1%eth0``, included)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(eq=False)
class _Job:
    """One lookup and the futures (of any event loop) waiting for its answer."""

    key: Key
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[list[AddrRow]]]] = field(
        default_factory=list
    )
    started: bool = False


class Resolver:
    """``getaddrinfo`` for many event loops, on ``workers`` daemon threads of its own."""

    def __init__(
        self,
        workers: int = WORKERS,
        max_waiting: int = MAX_WAITING,
        lookup: Lookup = system_lookup,
    ) -> None:
        if workers < 1 or max_waiting < 1:
            raise ValueError("a resolver needs at least one worker and one waiting place")
        self.workers = workers
        self.max_waiting = max_waiting
        self._lookup = lookup  # tests pass one that blocks like a dead resolver
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._queue: deque[_Job] = deque()
        self._jobs: dict[Key, _Job] = {}
        self._threads: list[threading.Thread] = []
        self._idle = 0  # threads waiting for a job

    @property
    def threads(self) -> int:
        """Worker threads started so far (none until the first name is looked up)."""
        return len(self._threads)

    async def getaddrinfo(
        self,
        host: bytes | str | None,
        port: str | int | None,
        *,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[AddrRow]:
        """``socket.getaddrinfo``'s answer; cancel the caller to bound it."""
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host is None or is_ip_literal(host):
            # No name to look up (a literal, or the wildcard of a server): answered at once.
            return system_lookup((host, port, family, type, proto, flags | _NUMERIC))
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[list[AddrRow]] = loop.create_future()
        job = self._enqueue((host, port, family, type, proto, flags), loop, waiter)
        try:
            return await waiter
        finally:
            if waiter.cancelled() or not waiter.done():
                self._leave(job, waiter)

    def _enqueue(
        self, key: Key, loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[list[AddrRow]]
    ) -> _Job:
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                if len(self._queue) >= self.max_waiting:
                    raise socket.gaierror(
                        socket.EAI_AGAIN, f"{self.max_waiting} name lookups already waiting"
                    )
                job = self._jobs[key] = _Job(key)
                self._queue.append(job)
                self._ready.notify()
                self._start_worker()
            job.waiters.append((loop, waiter))
            return job

    def _start_worker(self) -> None:
        """One more thread while there are fewer than ``workers`` and lookups are queued."""
        if len(self._threads) < self.workers and len(self._queue) > self._idle:
            thread = threading.Thread(target=self._work, name="netwarden-resolver", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _leave(self, job: _Job, waiter: asyncio.Future[list[AddrRow]]) -> None:
        """``waiter`` gave up (its deadline): a lookup nobody waits for is not started."""
        with self._lock:
            job.waiters = [(lp, w) for lp, w in job.waiters if w is not waiter]
            if not job.waiters and not job.started:
                with contextlib.suppress(ValueError):
                    self._queue.remove(job)
                if self._jobs.get(job.key) is job:
                    del self._jobs[job.key]

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
                while not self._queue:
                    self._ready.wait()
                self._idle -= 1
                job = self._queue.popleft()
                job.started = True
            outcome = self._run(job.key)
            with self._lock:
                if self._jobs.get(job.key) is job:
                    del self._jobs[job.key]
                waiters, job.waiters = job.waiters, []
            for loop, waiter in waiters:
                # The loop may have closed while the lookup ran: nobody is left to tell.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, waiter, outcome)

    def _run(self, key: Key) -> _Outcome:
        try:
            return self._lookup(key), None
        except Exception as exc:  # gaierror, or UnicodeError for a name IDNA cannot encode
            return None, exc


def _settle(waiter: asyncio.Future[list[AddrRow]], outcome: _Outcome) -> None:
    if waiter.done():
        return
    rows, error = outcome
    if rows is not None:
        waiter.set_result(list(rows))
    elif isinstance(error, socket.gaierror):
        waiter.set_exception(socket.gaierror(*error.args))  # one exception object per waiter
    else:
        waiter.set_exception(socket.gaierror(socket.EAI_FAIL, str(error)))


_default: Resolver | None = None
_default_lock = threading.Lock()


def default_resolver() -> Resolver:
    """The process's resolver, shared by every probe and the agent's event loop; its threads
    start with the first name looked up."""
    global _default  # noqa: PLW0603 -- one pool per process, like asyncio's default executor
    with _default_lock:
        if _default is None:
            _default = Resolver()
        return _default
