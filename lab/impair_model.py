"""The pure part of the WAN impairment bridge: loss maths, loss decisions, delay scheduling.

Nothing here touches a socket or a clock; callers pass ``now`` (seconds, any monotonic origin).
That keeps every decision the bridge makes testable without root.

Semantics (what a ping across the impaired link sees, i.e. round trip):

* ``delay_ms`` is the added round-trip delay; each direction adds ``delay_ms / 2``.
* ``jitter_ms`` widens each direction's delay by a uniform offset in ``±jitter_ms / 2``, but a
  frame is never sent before the frame queued ahead of it in the same direction, so a direction
  never reorders (under dense traffic that clamp makes the mean delay slightly larger).
* ``loss_pct`` is the round-trip loss; each direction drops independently with the ``p`` that
  solves ``1 - (1 - p)**2 = loss``, so 20 % gives ≈20 % ping loss, not 36 %.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

DEFAULT_CAPACITY = 10_000


def per_direction_loss(round_trip: float) -> float:
    """Per-direction drop probability giving ``round_trip`` (0..1) loss over a round trip."""
    if not 0.0 <= round_trip <= 1.0:
        raise ValueError(f"loss must be within 0..1, got {round_trip}")
    # 1 - sqrt(1 - x) loses precision for tiny x; -expm1(log1p(-x) / 2) is the same, exact.
    return -math.expm1(math.log1p(-round_trip) / 2) if round_trip < 1.0 else 1.0


@dataclass(frozen=True)
class ImpairSpec:
    """The impairment as configured on the command line (round-trip figures)."""

    delay_ms: float
    jitter_ms: float
    loss_pct: float

    def __post_init__(self) -> None:
        if self.delay_ms < 0 or self.jitter_ms < 0:
            raise ValueError("delay and jitter must not be negative")
        if not 0.0 <= self.loss_pct < 100.0:
            raise ValueError("loss must be at least 0 and below 100 percent")

    @property
    def one_way_delay(self) -> float:
        """Seconds added in each direction before jitter."""
        return self.delay_ms / 2000.0

    @property
    def jitter_half_width(self) -> float:
        """Seconds: each direction's offset is uniform in ±this."""
        return self.jitter_ms / 2000.0

    @property
    def direction_loss(self) -> float:
        """Drop probability of one direction (0..1)."""
        return per_direction_loss(self.loss_pct / 100.0)

    def describe(self, left: str, right: str) -> str:
        """The one status line printed at start."""
        return (
            f"impair_bridge: {left}<->{right} delay {self.delay_ms:g}ms "
            f"jitter {self.jitter_ms:g}ms loss {self.loss_pct:g}% "
            f"(per direction {self.direction_loss * 100:.2f}%)"
        )


def _stream(seed: int | None, name: str, purpose: str) -> random.Random:
    # Not for security: reproducible pseudo-randomness is the point of --seed.
    return random.Random(None if seed is None else f"{seed}/{name}/{purpose}")  # noqa: S311


class Direction:
    """One direction of the link: decides drops and holds frames until they are due.

    Send times never decrease within a direction, so a FIFO is enough (no heap needed): the head
    is always the next frame due.
    """

    def __init__(
        self,
        name: str,
        spec: ImpairSpec,
        seed: int | None = None,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self.name = name
        self._delay = spec.one_way_delay
        self._half_jitter = spec.jitter_half_width
        self._loss = spec.direction_loss
        # Separate streams so the n-th frame's loss decision depends only on the seed and n, not
        # on how many jitter draws or overflows happened before it.
        self._loss_rng = _stream(seed, name, "loss")
        self._jitter_rng = _stream(seed, name, "jitter")
        self._capacity = capacity
        self._queue: deque[tuple[float, bytes]] = deque()
        self._last_due = -math.inf
        self.forwarded = 0
        self.lost = 0
        self.overflow = 0
        self.send_errors = 0

    def offer(self, frame: bytes, now: float) -> float | None:
        """Queue ``frame`` received at ``now``; return its send time, or None if dropped."""
        if self._loss > 0.0 and self._loss_rng.random() < self._loss:
            self.lost += 1
            return None
        if len(self._queue) >= self._capacity:
            self.overflow += 1
            return None
        jitter = self._half_jitter
        offset = self._jitter_rng.uniform(-jitter, jitter) if jitter else 0.0
        due = max(now + max(0.0, self._delay + offset), self._last_due)
        self._last_due = due
        self._queue.append((due, frame))
        return due

    def next_due(self) -> float | None:
        """Send time of the head frame, or None when nothing is queued."""
        return self._queue[0][0] if self._queue else None

    def pop_due(self, now: float) -> list[bytes]:
        """Remove and return, in order, every frame whose send time is ``<= now``."""
        out: list[bytes] = []
        queue = self._queue
        while queue and queue[0][0] <= now:
            out.append(queue.popleft()[1])
        return out

    @property
    def pending(self) -> int:
        """Frames queued but not yet due."""
        return len(self._queue)

    @property
    def dropped(self) -> int:
        """Every frame that will never reach the other side."""
        return self.lost + self.overflow + self.send_errors

    def summary(self) -> str:
        """Counters of this direction for the exit line."""
        return (
            f"{self.name} forwarded {self.forwarded} dropped {self.dropped} "
            f"(loss {self.lost}, overflow {self.overflow}, send errors {self.send_errors}, "
            f"pending {self.pending})"
        )
