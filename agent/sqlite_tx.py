"""The one write transaction of the agent's SQLite files (disk queue, job record, push spool):
``BEGIN IMMEDIATE`` takes the write lock up front, so a transaction never fails half-way on a
lock it could not upgrade; anything raised rolls it back."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(db: sqlite3.Connection, lock: threading.Lock) -> Iterator[sqlite3.Connection]:
    """``db`` (opened with ``isolation_level=None``) in one write transaction, under ``lock``
    (the connection is shared by the threads that call it)."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
