"""What the sync loops share and the metrics show: is the collector there, what was sent, and
whether this agent was revoked. Transitions are logged once, not on every failed attempt."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from netwarden.agent.sync.replies import Outcome, Reply

log = logging.getLogger(__name__)


@dataclass
class SyncStatus:
    """The fleet sync's state; ``halted`` is set when the collector revoked this agent."""

    agent: str
    collector_up: bool = False
    last_contact: float | None = None
    results_sent: int = 0
    assignment_updates: int = 0
    revoked: str | None = None  # the collector's answer when it refused the credential
    halted: asyncio.Event = field(default_factory=asyncio.Event)
    _down_reason: str = ""
    _waiting_for_contact: set[asyncio.Event] = field(default_factory=set)

    @contextlib.contextmanager
    def next_contact(self) -> Iterator[asyncio.Event]:
        """An event set when any loop's next request gets an answer (a heartbeat, most
        often). A loop backing off from an unreachable collector (up to a minute) waits on it
        too, so it resumes as soon as the WAN is back rather than when its delay runs out."""
        event = asyncio.Event()
        self._waiting_for_contact.add(event)
        try:
            yield event
        finally:
            self._waiting_for_contact.discard(event)

    def answered(self, reply: Reply) -> None:
        """Note the outcome of one request (every loop calls this after each request)."""
        if reply.outcome is Outcome.revoked:
            self._revoke(reply.error)
        elif reply.ok or (reply.outcome is Outcome.client_error and reply.status is not None):
            # A 4xx is still an answer: the collector is up, the request was wrong.
            if not self.collector_up and self._down_reason:
                log.warning("collector reachable again")
            self.collector_up, self.last_contact, self._down_reason = True, time.time(), ""
            for event in self._waiting_for_contact:
                event.set()
        else:
            if self.collector_up or not self._down_reason:
                log.warning(
                    "collector unavailable (%s): results stay queued on disk: %s",
                    reply.outcome,
                    reply.error,
                )
            self.collector_up, self._down_reason = False, reply.error or str(reply.outcome)

    def _revoke(self, error: str) -> None:
        self.collector_up = False
        if self.revoked is None:
            self.revoked = error
            log.error(
                "the collector refused agent %s's credential (%s): the agent was revoked; "
                "it keeps polling locally but no longer talks to the collector; "
                "re-enrol it with a new join token",
                self.agent,
                error,
            )
        self.halted.set()
