"""Blocking SSH sessions off the event loop: one bounded thread pool, one session per device.

netmiko is synchronous; each session runs in a worker thread of a single
``ThreadPoolExecutor(max_workers)``, so at most ``max_workers`` sessions are open at once per
agent whatever collection and config backup ask for. A per-device lock keeps a second job for
the same device (a backup while a collection runs) from opening a parallel session: small
devices allow only a few VTY lines, and some lock out on concurrent logins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from netwarden.agent.ssh.types import SshError, SshReason, SshRunner, SshTarget

log = logging.getLogger(__name__)
T = TypeVar("T")


class SshPool:
    """Runs :class:`SshRunner` sessions in ``max_workers`` threads, one per device at a time."""

    def __init__(self, runner: SshRunner, max_workers: int = 8) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.runner = runner
        self.max_workers = max_workers
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="ssh")
        self._locks: dict[str, asyncio.Lock] = {}

    async def run(
        self, target: SshTarget, commands: Sequence[str], deadline: float
    ) -> dict[str, str]:
        """Run ``commands`` on ``target`` in one session; outputs keyed by command.

        Raises :class:`SshError`: the runner's own, ``timeout`` when ``deadline`` seconds pass
        (waiting for the device's lock or a free worker included), ``other`` for a bug.
        """
        return await self._session(target, deadline, self.runner.run, tuple(commands))

    async def configure(self, target: SshTarget, lines: Sequence[str], deadline: float) -> str:
        """Send ``lines`` in configuration mode in one session (the device's lock held, as
        for :meth:`run`); the session's output. Raises :class:`SshError` as :meth:`run`."""
        return await self._session(target, deadline, self.runner.configure, tuple(lines))

    async def _session(
        self,
        target: SshTarget,
        deadline: float,
        call: Callable[[SshTarget, tuple[str, ...]], T],
        lines: tuple[str, ...],
    ) -> T:
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        lock = self._locks.setdefault(target.device, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), deadline)
        except TimeoutError:
            raise SshError(
                SshReason.timeout,
                f"{target.device}: the previous session did not end within {deadline:g} s",
            ) from None
        try:
            future = loop.run_in_executor(self._executor, call, target, lines)
        except RuntimeError:  # the executor was shut down: the agent is stopping
            lock.release()
            raise SshError(SshReason.other, f"{target.device}: SSH pool closed") from None
        # The lock follows the session, not this caller: a thread cannot be interrupted, so
        # after a deadline the device stays locked until netmiko's own timeouts end it.
        future.add_done_callback(lambda done: _release(lock, done))
        try:
            return await asyncio.wait_for(asyncio.shield(future), max(0.0, end - loop.time()))
        except TimeoutError:
            raise SshError(
                SshReason.timeout, f"{target.device}: no result within {deadline:g} s"
            ) from None
        except SshError:
            raise
        except Exception as exc:  # a bug in a runner must be a result, not a dead loop
            log.exception("SSH session to %s failed unexpectedly", target.device)
            raise SshError(
                SshReason.other, f"{target.device}: unexpected error: {type(exc).__name__}"
            ) from exc

    def close(self) -> None:
        """Stop accepting sessions; running ones finish in their threads (not waited for)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _release(lock: asyncio.Lock, done: asyncio.Future[Any]) -> None:
    lock.release()
    if not done.cancelled():
        done.exception()  # retrieved: a session abandoned at its deadline must not warn later
