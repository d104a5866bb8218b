"""Posting remote-write requests and what each answer means for the samples in them.

- 2xx: acknowledged; the blocks leave the spool.
- 5xx, 429, no answer (network, timeout): nothing is lost; retry the same request after a
  backoff with jitter (429's Retry-After is honoured).
- 400 (and 413): the receiver refused the request, maybe for one sample (Prometheus rolls back
  a whole request on one out-of-order sample). The request is split in halves, recursively,
  until the refused samples stand alone: those are dropped and counted, their neighbours
  delivered. One bad sample costs about 2 log2(n) requests, never the batch.
- any other 4xx (401, 403, 404): a configuration problem (token, URL); retried with backoff
  and logged, the samples kept (within the spool's bounds) until it is fixed.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from netwarden.agent.push.encode import compress, split

log = logging.getLogger(__name__)

SPLIT_STATUSES = frozenset({400, 413})


@dataclass(frozen=True, slots=True)
class Answer:
    """A receiver's answer to one request; ``status`` None when there was none."""

    status: int | None
    error: str = ""  # the receiver's text (first line) or the network error
    retry_after: float | None = None  # seconds, from a 429's or 503's Retry-After


Post = Callable[[bytes], Awaitable[Answer]]  # post a snappy-compressed request


class Verdict(enum.Enum):
    delivered = "delivered"  # every sample acknowledged or refused for good
    retry = "retry"  # try the whole batch again later


@dataclass
class Delivery:
    """What happened to one batch."""

    verdict: Verdict
    accepted: int = 0  # samples acknowledged
    refused: int = 0  # samples refused for good (400), dropped
    requests: dict[str, int] = field(default_factory=dict)  # outcome -> count (see OUTCOMES)
    last: Answer | None = None  # the answer that decided a retry

    @property
    def sent_requests(self) -> int:
        return sum(self.requests.values())

    def note(self, answer: Answer) -> None:
        outcome = _outcome(answer)
        self.requests[outcome] = self.requests.get(outcome, 0) + 1


OUTCOMES = ("ok", "split", "retry", "error")


def _outcome(answer: Answer) -> str:
    if answer.status is not None and 200 <= answer.status < 300:
        return "ok"
    if answer.status in SPLIT_STATUSES:
        return "split"
    return "retry" if retryable(answer) else "error"


def retryable(answer: Answer) -> bool:
    return answer.status is None or answer.status == 429 or answer.status >= 500


async def deliver(post: Post, body: bytes, samples: int, *, max_requests: int = 10_000) -> Delivery:
    """Send ``body`` (``samples`` samples, uncompressed WriteRequest bytes) until every sample
    is acknowledged or refused; stop at the first answer that asks for a retry."""
    outcome = Delivery(Verdict.delivered)
    pending = [(body, samples)]
    while pending:
        part, count = pending.pop()
        if outcome.sent_requests >= max_requests:
            # A receiver refusing everything one by one: stop, keep what is left for later.
            outcome.verdict = Verdict.retry
            return outcome
        answer = await post(compress(part))
        outcome.note(answer)
        if answer.status is not None and 200 <= answer.status < 300:
            outcome.accepted += count
        elif answer.status in SPLIT_STATUSES:
            if count <= 1:
                log.warning("receiver refused a sample (%s): %s", answer.status, answer.error)
                outcome.refused += count
                continue
            first, second, n_first, n_second = split(part)
            pending += [(second, n_second), (first, n_first)]  # first half goes first
        else:
            outcome.verdict, outcome.last = Verdict.retry, answer
            return outcome
    return outcome
