"""Run callables at the same instant in threads (for race tests)."""

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def race(calls: list[Callable[[], T]], timeout: float = 60.0) -> list[T | Exception]:
    """Start every call behind one barrier; return each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    out: list[T | Exception | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = calls[i]()
        except Exception as err:  # handed back to the test, which asserts on it
            out[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a racing call hung"
    return [o for o in out if o is not None]
