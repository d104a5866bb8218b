"""What the push sender has done, for /metrics, the heartbeat and the logs. A receiver going
away and coming back is logged once each way, not on every failed attempt."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from netwarden.agent.push.sender import OUTCOMES, Answer, Delivery, Verdict

log = logging.getLogger(__name__)

__all__ = ["OUTCOMES", "PushStatus"]


@dataclass
class PushStatus:
    url: str = ""
    sent: int = 0  # samples acknowledged
    retried: int = 0  # samples in requests to be sent again
    last_success: float | None = None
    requests: dict[str, int] = field(default_factory=dict)  # outcome -> count
    receiver_up: bool = True
    _down_reason: str = ""

    def noted(self, delivery: Delivery, samples: int) -> None:
        """Count one batch's delivery (``samples`` it held)."""
        self.sent += delivery.accepted
        if delivery.accepted or delivery.refused:
            self.last_success = time.time()
        for outcome, count in delivery.requests.items():
            self.requests[outcome] = self.requests.get(outcome, 0) + count
        if delivery.verdict is Verdict.retry:
            self.retried += samples - delivery.accepted - delivery.refused
            self._down(delivery.last or Answer(None, "no answer"))
        else:
            self._up()

    def _down(self, answer: Answer) -> None:
        why = f"{answer.status} {answer.error}" if answer.status else answer.error
        if self.receiver_up or not self._down_reason:
            log.warning("push to %s failed, samples stay spooled: %s", self.url, why)
        self.receiver_up, self._down_reason = False, why

    def _up(self) -> None:
        if not self.receiver_up:
            log.warning("push to %s works again", self.url)
        self.receiver_up, self._down_reason = True, ""
