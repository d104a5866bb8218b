"""The push spool: blocks of samples on disk from the moment they are taken until a receiver
acknowledged them, through outages, restarts and kill -9.

SQLite in WAL mode with ``synchronous=FULL`` (an append is on disk when it returns) holds one
row per block: ``(seq, at, samples, size, crc, body)``, ``body`` being the block's
remote-write request compressed with zstd and ``crc`` its CRC-32. SQLite's WAL checksums its
frames, so a write torn by a crash or a power cut is detected and skipped when the spool is
opened again (the transaction it belonged to never happened); the CRC catches a body damaged
any other way, which is then dropped and counted, never sent. bench/README.md has the
measurement that chose this over segment files of length+CRC frames (about 10 % more bytes
per sample, but blocks are acknowledged one by one while live samples overtake a backlog).

Bounds: total stored bytes and age. Enforcing one drops the OLDEST blocks and counts their
samples per reason, in the same transaction, so the counts survive restarts. Every call is a
short transaction; the agent runs them on one worker thread (``AsyncSpool`` in
``spool_async``), never on its event loop.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import cramjam

from netwarden.agent.push.samples import Block
from netwarden.agent.sqlite_tx import immediate
from netwarden.errors import NetwardenError

MAX_BYTES = 2**30
MAX_AGE = 72 * 3600.0
DROP_REASONS = ("size", "age", "rejected", "corrupt", "overflow")
FILE_NAME = "spool.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, samples INTEGER NOT NULL,
    size INTEGER NOT NULL, crc INTEGER NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS dropped (reason TEXT PRIMARY KEY, samples INTEGER NOT NULL);
"""

_SUMS = "SELECT COALESCE(SUM(samples), 0), COUNT(*), COALESCE(SUM(size), 0) FROM blocks "


@dataclass(frozen=True, slots=True)
class Entry:
    """A spooled block: ``body`` is the remote-write request (uncompressed)."""

    seq: int
    at: float
    samples: int
    body: bytes


@dataclass(frozen=True, slots=True)
class SpoolStats:
    samples: int  # samples waiting
    blocks: int
    bytes: int  # compressed bytes of the blocks waiting
    oldest_age: float  # seconds since the oldest block's timestamp (0 when empty)
    dropped: dict[str, int]  # samples dropped, by reason


class Spool:
    """The spool in ``directory``; thread-safe, every call one short transaction."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = MAX_BYTES,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_bytes, self.max_age, self._clock = max_bytes, max_age, clock
        self.path = directory / FILE_NAME
        self._lock = threading.Lock()
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            samples, blocks, size = self._db.execute(
                "SELECT COALESCE(SUM(samples), 0), COUNT(*), COALESCE(SUM(size), 0) FROM blocks"
            ).fetchone()
        except (OSError, sqlite3.Error) as exc:
            raise NetwardenError(f"push spool {self.path}: cannot open it: {exc}") from exc
        self._samples, self._blocks, self._bytes = int(samples), int(blocks), int(size)
        self._dropped = dict.fromkeys(DROP_REASONS, 0)
        self._dropped.update(self._db.execute("SELECT reason, samples FROM dropped").fetchall())
        self._oldest_at = self._head_at()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._db, self._lock)

    def append(self, blocks: Sequence[Block]) -> None:
        """Keep ``blocks`` (in this order, one transaction: one fsync), then enforce bounds."""
        rows = []
        for block in blocks:
            if block.samples == 0:
                continue
            body = bytes(cramjam.zstd.compress(block.body, level=3))
            rows.append((block.at, block.samples, len(body), zlib.crc32(body), body))
        if not rows:
            return
        with self._tx() as db:
            db.executemany(
                "INSERT INTO blocks (at, samples, size, crc, body) VALUES (?,?,?,?,?)", rows
            )
            if self._blocks == 0:
                self._oldest_at = rows[0][0]
            self._blocks += len(rows)
            self._samples += sum(r[1] for r in rows)
            self._bytes += sum(r[2] for r in rows)
            self._enforce(db)

    def last_seq(self) -> int:
        """The seq of the newest block (0 when empty)."""
        with self._lock:
            row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM blocks").fetchone()
        return int(row[0])

    def first_since(self, after: int, at: float) -> int | None:
        """The seq of the first block after ``after`` stamped ``at`` or later, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(seq) FROM blocks WHERE seq > ? AND at >= ?", (after, at)
            ).fetchone()
        return None if row[0] is None else int(row[0])

    def read(self, after: int, before: int | None, max_samples: int) -> list[Entry]:
        """Blocks with ``after < seq < before`` (no upper end if None), oldest first, up to
        ``max_samples`` samples (at least one block). A damaged block is dropped, counted."""
        upper = before if before is not None else 2**62
        with self._tx() as db:
            self._enforce(db)
            entries: list[Entry] = []
            damaged: list[int] = []
            total = 0
            cursor = db.execute(
                "SELECT seq, at, samples, crc, body FROM blocks WHERE seq > ? AND seq < ? "
                "ORDER BY seq",
                (after, upper),
            )
            for seq, at, samples, crc, body in cursor:
                if entries and total + samples > max_samples:
                    break
                if zlib.crc32(body) != crc:
                    damaged.append(seq)
                    continue
                entries.append(Entry(seq, at, samples, bytes(cramjam.zstd.decompress(body))))
                total += samples
            cursor.close()
            if damaged:
                self._delete(db, damaged, "corrupt")
        return entries

    def ack(self, seqs: Sequence[int]) -> None:
        """Remove blocks the receiver acknowledged."""
        with self._tx() as db:
            self._delete(db, seqs, None)

    def count_dropped(self, reason: str, samples: int) -> None:
        """Count samples dropped outside the spool (refused by the receiver, or never
        spooled), with the spool's persistent counts."""
        if samples <= 0:
            return
        with self._tx() as db:
            self._count(db, reason, samples)

    def enforce(self) -> None:
        """Apply the bounds now (the age bound also matters while nothing is appended)."""
        with self._tx() as db:
            self._enforce(db)

    def stats(self) -> SpoolStats:
        """From memory: no disk access."""
        oldest = self._oldest_at
        age = max(0.0, self._clock() - oldest) if self._blocks and oldest is not None else 0.0
        return SpoolStats(self._samples, self._blocks, self._bytes, age, dict(self._dropped))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _enforce(self, db: sqlite3.Connection) -> None:
        cutoff = self._clock() - self.max_age
        if self._oldest_at is not None and self._oldest_at < cutoff:
            self._delete(db, self._prefix(db, lambda at, _size: at >= cutoff), "age")
        if self._bytes > self.max_bytes:
            excess, freed = self._bytes - self.max_bytes, 0

            def enough(_at: float, size: int) -> bool:
                nonlocal freed
                done = freed >= excess
                freed += size
                return done

            self._delete(db, self._prefix(db, enough), "size")

    @staticmethod
    def _prefix(db: sqlite3.Connection, stop: Callable[[float, int], bool]) -> list[int]:
        """The seqs, oldest first, before the first block where ``stop(at, size)``."""
        seqs: list[int] = []
        after = 0
        while True:
            rows = db.execute(
                "SELECT seq, at, size FROM blocks WHERE seq > ? ORDER BY seq LIMIT 1000", (after,)
            ).fetchall()  # in chunks: no statement left open while the prefix is deleted
            for seq, at, size in rows:
                if stop(at, size):
                    return seqs
                seqs.append(seq)
            if len(rows) < 1000:
                return seqs
            after = rows[-1][0]

    def _delete(self, db: sqlite3.Connection, seqs: Sequence[int], reason: str | None) -> None:
        for start in range(0, len(seqs), 500):  # SQLite's bound on variables per statement
            chunk = list(seqs[start : start + 500])
            where = f"WHERE seq IN ({','.join('?' * len(chunk))})"  # placeholders only
            samples, blocks, size = db.execute(
                _SUMS + where,
                chunk,
            ).fetchone()
            db.execute("DELETE FROM blocks " + where, chunk)  # noqa: S608 - placeholders only
            self._samples -= samples
            self._blocks -= blocks
            self._bytes -= size
            if reason is not None:
                self._count(db, reason, samples)
        self._oldest_at = self._head_at(db)

    def _count(self, db: sqlite3.Connection, reason: str, samples: int) -> None:
        if not samples:
            return
        db.execute(
            "INSERT INTO dropped (reason, samples) VALUES (?, ?) "
            "ON CONFLICT(reason) DO UPDATE SET samples = samples + excluded.samples",
            (reason, samples),
        )
        self._dropped[reason] = self._dropped.get(reason, 0) + samples

    def _head_at(self, db: sqlite3.Connection | None = None) -> float | None:
        row = (db or self._db).execute("SELECT at FROM blocks ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else float(row[0])
