"""An in-memory remote-write receiver for unit tests: it decodes what it is sent (snappy, then
the generated prompb messages), keeps the samples it accepts, and answers as a test scripts it:
fixed statuses in turn, or Prometheus' rule of refusing a whole request for one bad sample."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from netwarden.agent.push.encode import decompress
from netwarden.agent.push.prompb import remote_pb2
from netwarden.agent.push.sender import Answer

Series = tuple[tuple[str, str], ...]  # sorted label pairs, __name__ included


@dataclass(frozen=True, slots=True)
class Got:
    """One sample the receiver accepted."""

    labels: Series
    timestamp_ms: int
    value: float

    @property
    def name(self) -> str:
        return dict(self.labels)["__name__"]


@dataclass
class FakeReceiver:
    """``post`` is a :data:`~netwarden.agent.push.sender.Post`."""

    script: list[Answer] = field(default_factory=list)  # answered first, one per request
    refuse: Callable[[Got], bool] | None = None  # any such sample: 400 for the whole request
    down: bool = False  # answers nothing (as during a WAN outage)
    samples: list[Got] = field(default_factory=list)
    requests: int = 0
    statuses: list[int | None] = field(default_factory=list)
    closed: bool = False

    async def post(self, body: bytes) -> Answer:
        self.requests += 1
        answer = self._answer(body)
        self.statuses.append(answer.status)
        return answer

    def _answer(self, body: bytes) -> Answer:
        if self.down:
            return Answer(None, "cannot reach the receiver: network is unreachable")
        if self.script:
            answer = self.script.pop(0)
            if answer.status is None or not 200 <= answer.status < 300:
                return answer
        request = remote_pb2.WriteRequest()
        request.ParseFromString(decompress(body))
        got = [
            Got(tuple((lab.name, lab.value) for lab in series.labels), s.timestamp, s.value)
            for series in request.timeseries
            for s in series.samples
        ]
        if self.refuse is not None and any(self.refuse(g) for g in got):
            return Answer(400, "out of order sample")  # and nothing of it is kept
        self.samples += got
        return Answer(204)

    async def close(self) -> None:
        self.closed = True

    def series(self, name: str, **labels: str) -> list[Got]:
        """Accepted samples of ``name`` with ``labels``, in arrival order."""
        return [
            g
            for g in self.samples
            if g.name == name and all(dict(g.labels).get(k) == v for k, v in labels.items())
        ]
