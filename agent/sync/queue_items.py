"""What the disk queue takes and reports, without the queue itself: the agent's parts name
these types in every mode, while only an enrolled agent (and the push spool) opens a queue.
Kept apart so that a standalone agent never imports sqlite3 (~1 MiB of its RSS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DROP_REASONS = ("size", "age", "rejected")


@dataclass(frozen=True)
class Item:
    """A result to queue: its kind, payload, agent time, (for job results) job id and (for a
    result its producer may queue again after a restart) its own id, a UUID; None: a new one."""

    kind: str
    payload: dict[str, Any]
    at: float
    job: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class QueueStats:
    depth: int
    bytes: int
    oldest_age: float  # seconds since the oldest queued result's ``at`` (0 when empty)
    dropped: dict[str, int]
