"""Agent credentials that authenticated a moment ago, so that not every request of every agent
costs a store read: at 1,000 agents, authentication was half of all store calls.

A revoke or a new enrolment through this collector drops the agent's entry, so both take effect
here at once; another collector process sharing the database sees them within ``TTL`` seconds.
Entries are keyed by the credential's SHA-256, never by the credential itself, and there is at
most one per agent (an agent has one valid credential), so the cache never outgrows the fleet.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from netwarden.collector.store.rows import AgentRow

TTL = 30.0  # s an authentication is trusted without asking the store again


@dataclass(frozen=True)
class _Entry:
    row: AgentRow
    expires: float


class AgentAuthCache:
    """Recently authenticated agent credentials, dropped on revoke or re-enrolment."""

    def __init__(self, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}  # credential digest -> entry
        self._keys: dict[str, str] = {}  # agent id -> its credential digest
        self.generation = 0  # bumped by every forget(): see put()

    def get(self, credential: str) -> AgentRow | None:
        """The agent this credential authenticated as within ``TTL``, or None."""
        key = _digest(credential)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            self._drop(entry.row.id)
            return None
        return entry.row

    def put(self, credential: str, row: AgentRow, generation: int) -> None:
        """Remember an authentication the store confirmed, unless an agent was forgotten since
        ``generation`` was read (before asking the store): a revoke that landed while the store
        was being asked must not be undone by a stale answer."""
        if generation != self.generation:
            return
        self._drop(row.id)
        key = _digest(credential)
        self._entries[key] = _Entry(row, self._clock() + self._ttl)
        self._keys[row.id] = key

    def forget(self, agent_id: str) -> None:
        """The agent was revoked or enrolled anew: ask the store next time."""
        self.generation += 1
        self._drop(agent_id)

    def _drop(self, agent_id: str) -> None:
        key = self._keys.pop(agent_id, None)
        if key is not None:
            self._entries.pop(key, None)


def _digest(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()
