"""Engines for the two supported databases and the transactions the store runs in.

SQLite: WAL (readers never block the writer), ``busy_timeout`` (a writer waits for the lock
instead of failing), foreign keys on, ``synchronous=NORMAL`` (a commit survives the process
being killed; a power cut may lose the last commits but never corrupts the file). Python's
sqlite3 module would start transactions lazily and only before DML, so SQLAlchemy emits
``BEGIN`` itself:
writes start with ``BEGIN IMMEDIATE`` so the write lock is taken (and waited for) up front; a
deferred transaction that read first and then writes fails at once with "database is locked"
when another connection wrote in between, whatever the busy timeout.

PostgreSQL: psycopg 3, READ COMMITTED for writes (the store's statements are written to be
safe under it), REPEATABLE READ read-only for a dump.
"""

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from netwarden.collector.store.errors import StoreError

BUSY_TIMEOUT_MS = 30_000
# Up to 40 connections: as many as the API's default thread pool (anyio: 40) can use at once,
# so no request waits for a pooled connection; far below PostgreSQL's max_connections (100).
POOL = {"pool_size": 8, "max_overflow": 32, "pool_timeout": 30}
_BEGIN_OPTION = "netwarden_sqlite_begin"
# SQLite's own files beside the database: they hold the same rows (results, audit, tokens'
# hashes), and SQLite creates them with the database file's mode.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def parse_url(url: str) -> URL:
    """Parse and normalise a store URL (``sqlite:///PATH`` or ``postgresql://...``)."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError as err:
        raise StoreError(
            f"not a database URL: {url!r} (use sqlite:///PATH or postgresql://...)"
        ) from err
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise StoreError(f"unsupported SQLite driver {parsed.drivername!r}: use sqlite:///PATH")
        if not parsed.database or parsed.database == ":memory:":
            raise StoreError("an in-memory SQLite store is not durable: use sqlite:///PATH")
        return parsed.set(
            drivername="sqlite+pysqlite", database=str(Path(parsed.database).absolute())
        )
    if backend == "postgresql":
        if parsed.drivername not in ("postgresql", "postgresql+psycopg"):
            raise StoreError(
                f"unsupported PostgreSQL driver {parsed.drivername!r}: use postgresql://"
            )
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://...")


def create(url: URL) -> Engine:
    """An engine for ``url`` (from ``parse_url``); SQLite's file and directory are created,
    private to the collector's user (see ``private_sqlite_file``)."""
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        private_sqlite_file(Path(url.database))
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **POOL)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **POOL)


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database is None:
        return None
    return Path(parsed.database)


def private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 (its directory 0700) before SQLite opens it, and narrow
    an existing one (and its WAL files) that a version before this made world-readable.

    SQLite creates a database with the process's umask (0644: results and the audit log
    readable by every local user) and its -wal/-shm files with the database's own mode, so
    making the database private makes all of them private.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for each in (path, *(path.with_name(path.name + s) for s in SQLITE_SIDE_FILES)):
        try:
            mode = stat.S_IMODE(each.stat().st_mode)
            if mode & 0o077:
                os.chmod(each, mode & 0o700)
        except (FileNotFoundError, PermissionError):
            continue  # absent, or another user's file: SQLite reports what matters on open


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take BEGIN away from sqlite3 (see the module docstring); set the pragmas per connection.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
    finally:
        cur.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    """True for a SQLite engine."""
    return engine.dialect.name == "sqlite"


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One read-write transaction, committed when the block ends without an exception."""
    with mapped_errors(), engine.connect() as conn:
        if is_sqlite(engine):
            conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """One read transaction: a consistent snapshot for its whole length on both databases."""
    with mapped_errors(), engine.connect() as conn:
        if not is_sqlite(engine):
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


@contextmanager
def mapped_errors() -> Iterator[None]:
    """Turn SQLAlchemy/driver errors into one-line ``StoreError``s (no SQL, no parameters)."""
    try:
        yield
    except exc.DBAPIError as err:
        first = (str(err.orig).strip().splitlines() or [type(err.orig).__name__])[0]
        raise StoreError(f"database error: {first}") from err
    except exc.SQLAlchemyError as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise StoreError(f"database error: {first}") from err
