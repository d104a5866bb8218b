"""The traceroute seam: a :class:`Tracer` sends one probe per TTL and reports what answered.

What came back is turned into hops here, free of I/O: one hop per TTL up to the first one the
destination answered (``reached``), a silent TTL as a hop without address (``*`` in the text).
The scapy adapter is ``scapy_tracer``; tests use ``FakeTracer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Answer:
    """One probe's answer: the TTL it was sent with, who answered, after how long, and
    whether it was the destination itself (an echo reply) rather than a router on the way."""

    ttl: int
    address: str
    rtt: float  # seconds
    final: bool


@dataclass(frozen=True, slots=True)
class Hop:
    ttl: int
    address: str | None  # None: no answer within the timeout
    rtt: float | None

    def as_dict(self) -> dict[str, object]:
        return {"ttl": self.ttl, "address": self.address, "rtt": self.rtt}


class TraceError(Exception):
    """The trace could not run at all (no raw socket, scapy missing); one line."""


class Tracer(Protocol):
    """Sends a probe with each TTL from 1 to ``max_hops`` to ``address`` at once, waits
    ``wait`` seconds for the answers. Never blocks the event loop."""

    async def trace(self, address: str, max_hops: int, wait: float) -> list[Answer]: ...


def hops(answers: Sequence[Answer], max_hops: int) -> tuple[list[Hop], bool]:
    """The hops up to the destination (or ``max_hops``) and whether it was reached."""
    by_ttl: dict[int, Answer] = {}
    for answer in sorted(answers, key=lambda a: (a.ttl, a.rtt)):
        by_ttl.setdefault(answer.ttl, answer)
    final = [a.ttl for a in answers if a.final]
    last = min(final) if final else max_hops
    found = []
    for ttl in range(1, last + 1):
        got = by_ttl.get(ttl)
        found.append(Hop(ttl, got.address, got.rtt) if got else Hop(ttl, None, None))
    return found, bool(final)


class FakeTracer:
    """A path of router addresses, then the destination; ``silent`` TTLs do not answer.
    ``calls`` records (address, max_hops, timeout)."""

    def __init__(self, path: Sequence[str], *, silent: Sequence[int] = (), rtt: float = 0.001):
        self.path, self.silent, self.rtt = list(path), set(silent), rtt
        self.calls: list[tuple[str, int, float]] = []
        self.error: TraceError | None = None

    async def trace(self, address: str, max_hops: int, wait: float) -> list[Answer]:
        self.calls.append((address, max_hops, wait))
        if self.error is not None:
            raise self.error
        routers = [*self.path]
        answers = []
        for ttl in range(1, max_hops + 1):
            if ttl in self.silent:
                continue
            if ttl <= len(routers):
                answers.append(Answer(ttl, routers[ttl - 1], self.rtt * ttl, False))
            else:
                answers.append(Answer(ttl, address, self.rtt * ttl, True))
        return answers
