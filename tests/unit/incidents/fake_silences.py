"""An in-memory Alertmanager for maintenance windows' silences (the real one is in
tests/incidents, started by the test)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from netwarden.collector.incidents.errors import SilenceError
from netwarden.collector.incidents.maintenance import Matcher


@dataclass
class FakeSilences:
    """``SilenceApi`` keeping silences in a dict; ``down`` makes every call fail like an
    unreachable Alertmanager, ``fail_after`` makes the n-th create fail."""

    active: dict[str, tuple[tuple[Matcher, ...], float, float, str]] = field(default_factory=dict)
    expired: list[str] = field(default_factory=list)
    down: bool = False
    fail_after: int | None = None
    _made: int = 0

    def create(
        self,
        matchers: Sequence[Matcher],
        starts_at: float,
        ends_at: float,
        created_by: str,
        comment: str,
    ) -> str:
        if self.down or (self.fail_after is not None and self._made >= self.fail_after):
            raise SilenceError("Alertmanager at http://fake did not answer: connection refused")
        self._made += 1
        silence_id = f"s{self._made}"
        self.active[silence_id] = (tuple(matchers), starts_at, ends_at, comment)
        return silence_id

    def expire(self, silence_id: str) -> None:
        if self.down:
            raise SilenceError("Alertmanager at http://fake did not answer: connection refused")
        self.active.pop(silence_id, None)
        self.expired.append(silence_id)
