"""SshPool: the worker bound, one session per device, errors as SshError, the deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from netwarden.agent.ssh.fake import FakeSshRunner
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.types import SshError, SshReason, SshTarget

from .helpers import run_async, target

BOUND = 10.0  # s a session waits for the others it should overlap: a bound, not a delay


class Overlapping(FakeSshRunner):
    """A fake whose sessions, once begun, wait (up to BOUND) until ``together`` sessions have
    run at once. With a fixed delay alone the overlap depended on a loaded machine starting
    each worker thread before the first session's delay ran out; a pool that cannot run
    ``together`` at once still shows fewer (after BOUND)."""

    def __init__(self, together: int, outputs: dict[str, str], delay: float) -> None:
        super().__init__(outputs, delay=delay)
        self.together = together

    def run(self, target: SshTarget, commands: Sequence[str]) -> dict[str, str]:
        with self._session(target, tuple(commands)):
            deadline = time.monotonic() + BOUND
            while self.max_running < self.together and time.monotonic() < deadline:
                time.sleep(0.005)
            return {command: self._output(target.device, command) for command in commands}


@run_async
async def test_never_more_sessions_than_workers() -> None:
    runner = Overlapping(3, {"show version": "x"}, delay=0.1)
    pool = SshPool(runner, max_workers=3)
    try:
        started = time.monotonic()
        got = await asyncio.gather(
            *(pool.run(target(f"sw-{i}"), ["show version"], 10) for i in range(4))
        )
        elapsed = time.monotonic() - started
    finally:
        pool.close()
    assert got == [{"show version": "x"}] * 4
    assert runner.max_running == 3  # N+1 sessions, N workers: the last one waited
    assert elapsed >= 0.2  # two rounds of 0.1 s


@run_async
async def test_one_session_per_device_at_a_time() -> None:
    runner = Overlapping(2, {"show version": "x"}, delay=0.05)
    pool = SshPool(runner, max_workers=8)
    try:
        await asyncio.gather(*(pool.run(target("sw-1"), ["show version"], 10) for _ in range(4)),
                             pool.run(target("sw-2"), ["show version"], 10))  # fmt: skip
    finally:
        pool.close()
    assert runner.max_running_per_device == {"sw-1": 1, "sw-2": 1}
    assert runner.max_running == 2  # other devices are not held up by sw-1's queue
    assert len(runner.sessions) == 5


@run_async
async def test_ssh_error_passes_through_and_a_bug_becomes_other() -> None:
    runner = FakeSshRunner(
        {},
        fail={"sw-auth": SshError(SshReason.auth, "sw-auth: authentication failed")},
        crash={"sw-bug": KeyError("oops")},
    )
    pool = SshPool(runner, max_workers=2)
    try:
        with pytest.raises(SshError) as auth:
            await pool.run(target("sw-auth"), ["show version"], 5)
        with pytest.raises(SshError) as bug:
            await pool.run(target("sw-bug"), ["show version"], 5)
        # the pool still works after both
        assert await pool.run(target("sw-ok"), ["a"], 5) == {"a": ""}
    finally:
        pool.close()
    assert auth.value.reason is SshReason.auth
    assert bug.value.reason is SshReason.other
    assert "KeyError" in str(bug.value)


@run_async
async def test_deadline_gives_timeout_and_keeps_the_device_locked_until_the_session_ends() -> None:
    runner = FakeSshRunner({"a": "1"}, delay=3.0)
    pool = SshPool(runner, max_workers=2)
    try:
        started = time.monotonic()
        with pytest.raises(SshError) as caught:
            await pool.run(target("sw-1"), ["a"], 0.1)
        # At the 0.1 s deadline, not when the 3 s session ends (2.4 s for a loaded machine)
        assert time.monotonic() - started < 2.5
        assert caught.value.reason is SshReason.timeout
        # The abandoned session still runs in its thread: a new one for the same device
        # waits for it rather than opening a second connection (and answers at once itself).
        runner.delay = 0.0
        assert await pool.run(target("sw-1"), ["a"], 10) == {"a": "1"}
    finally:
        pool.close()
    assert runner.max_running_per_device == {"sw-1": 1}


def test_max_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SshPool(FakeSshRunner({}), max_workers=0)
