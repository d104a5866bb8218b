"""The record of the jobs this agent ran: ``jobs.db`` in its state dir, so each runs once.

The collector hands a job out again when its lease passes without a result (the result was
lost with the link, or the agent restarted), so the agent answers a job id it knows from this
record instead of running it again: with the stored result when the job finished, as
interrupted when the agent stopped while it ran (a step that may have changed a device cannot
be repeated blindly, and its outcome is unknown). A job is claimed here, durably
(``synchronous=FULL``), before it starts.

SQLite in WAL mode, one row per job; finished rows older than ``max_age`` go, and at most
``max_rows`` rows stay (the newest), so the file stays small. Every call is a short
transaction; :class:`AsyncJobRecord` runs them on one worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from netwarden.agent.sqlite_tx import immediate

MAX_AGE = 7 * 86400.0  # finished jobs remembered a week: far beyond any lease
MAX_ROWS = 20_000
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, started_at REAL NOT NULL,
    finished_at REAL, payload TEXT);
CREATE INDEX IF NOT EXISTS jobs_started ON jobs (started_at);
"""


@dataclass(frozen=True)
class Known:
    """A job this agent claimed before: its result, or None when it never finished."""

    kind: str
    started_at: float
    payload: dict[str, Any] | None


class JobRecord:
    """The record at ``path`` (``":memory:"`` for a record that dies with the process)."""

    def __init__(
        self,
        path: Path | str,
        *,
        max_age: float = MAX_AGE,
        max_rows: int = MAX_ROWS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_age, self.max_rows, self._clock = max_age, max_rows, clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def claim(self, job_id: str, kind: str) -> Known | None:
        """Claim ``job_id`` to run it now (None), or what is known of it if it was claimed
        before (then nothing changes)."""
        with immediate(self._db, self._lock) as db:
            row = db.execute(
                "SELECT kind, started_at, payload FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO jobs (id, kind, started_at) VALUES (?, ?, ?)",
                    (job_id, kind, self._clock()),
                )
        if row is None:
            return None
        payload = json.loads(row[2]) if row[2] is not None else None
        return Known(str(row[0]), float(row[1]), payload)

    def finish(self, job_id: str, payload: dict[str, Any]) -> None:
        """Keep the result of a claimed job (the answer to any later delivery of it)."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET finished_at = ?, payload = ? WHERE id = ?",
                (self._clock(), body, job_id),
            )

    def prune(self) -> int:
        """Forget finished jobs older than ``max_age`` and all but the newest ``max_rows``."""
        cutoff = self._clock() - self.max_age
        with self._lock:
            old = self._db.execute(
                "DELETE FROM jobs WHERE finished_at IS NOT NULL AND started_at < ?", (cutoff,)
            ).rowcount
            extra = self._db.execute(
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs ORDER BY started_at DESC "
                "LIMIT -1 OFFSET ?)",
                (self.max_rows,),
            ).rowcount
        return int(old) + int(extra)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class AsyncJobRecord:
    """The record for asyncio: every call on one worker thread, in call order."""

    def __init__(self, record: JobRecord) -> None:
        self.sync = record
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netwarden-jobs")

    async def _call(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(func, *args))

    async def claim(self, job_id: str, kind: str) -> Known | None:
        return await self._call(self.sync.claim, job_id, kind)

    async def finish(self, job_id: str, payload: dict[str, Any]) -> None:
        await self._call(self.sync.finish, job_id, payload)

    async def prune(self) -> int:
        return await self._call(self.sync.prune)

    async def close(self) -> None:
        await self._call(self.sync.close)
        self._pool.shutdown(wait=True)
