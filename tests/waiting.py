"""Bounded waiting, shared by every test tier: poll for the state a test is about to assert.

A test never sleeps a fixed time and hopes; it waits for the state it asserts, with a deadline
sized for a loaded 2-core machine, and fails naming what it waited for and what it saw last.
Every wait is bounded twice: by its deadline and by a number of attempts (a check that hangs
or returns at once can neither spin for ever nor outlive its deadline by more than one call).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Headroom on top of timeout / every: checks that answer faster than ``every`` never use them.
_SPARE_ATTEMPTS = 2


def _attempts(timeout: float, every: float) -> int:
    return math.ceil(timeout / max(every, 0.001)) + _SPARE_ATTEMPTS


def _failure(what: str, timeout: float, state: object) -> AssertionError:
    return AssertionError(f"{what}: not within {timeout:g} s (last: {state!r})")


def wait_for(
    what: str,
    check: Callable[[], T],
    timeout: float,
    every: float = 0.25,
    describe: Callable[[], object] | None = None,
) -> T:
    """Call ``check`` until it returns something truthy and return that; after ``timeout`` s
    fail naming ``what`` and the last value (or what ``describe`` says about the state)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    for _ in range(_attempts(timeout, every)):
        last = check()
        if last:
            return last
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(every, remaining))
    raise _failure(what, timeout, describe() if describe is not None else last)


async def wait_for_async(
    what: str,
    check: Callable[[], T],
    seconds: float,
    every: float = 0.02,
    describe: Callable[[], object] | None = None,
) -> T:
    """``wait_for`` inside an event loop: ``check`` runs on the loop, the pauses yield to it."""
    deadline = time.monotonic() + seconds
    last: T | None = None
    for _ in range(_attempts(seconds, every)):
        last = check()
        if last:
            return last
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        await asyncio.sleep(min(every, remaining))
    raise _failure(what, seconds, describe() if describe is not None else last)
