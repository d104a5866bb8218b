"""Dump and restore: a consistent, portable snapshot of every table.

Format (gzip'd JSON lines): a header ``{"format", "version", "revision", "backend",
"tables"}``, one ``{"t": table, "r": {column: value}}`` line per row (parents first), and a
trailer ``{"end": true, "counts": {table: n}}`` so a cut-off file is refused. Values are plain
JSON (times are floats, JSON documents stay text), so a dump moves between SQLite and
PostgreSQL. The dump reads in one snapshot transaction (see ``engine.read``), so it is
consistent while the collector keeps writing.
"""

import gzip
import json
import time
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from netwarden.collector.store import audit, migrate
from netwarden.collector.store import engine as db
from netwarden.collector.store.errors import StoreError
from netwarden.collector.store.schema import TABLES

FORMAT = "netwarden-collector-dump"
VERSION = 1
BATCH = 1000
_BY_NAME = {t.name: t for t in TABLES}


def dump(engine: Engine, out: BinaryIO) -> None:
    """Write every table of the store to ``out`` (the caller closes ``out``)."""
    with db.read(engine) as conn, gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        header = {
            "format": FORMAT,
            "version": VERSION,
            "revision": migrate.current(conn),
            "backend": engine.dialect.name,
            "tables": [t.name for t in TABLES],
        }
        gz.write(_line(header))
        counts: dict[str, int] = {}
        conn.execution_options(stream_results=True, yield_per=BATCH)
        for table in TABLES:
            n = 0
            for row in conn.execute(
                sa.select(table).order_by(*table.primary_key.columns)
            ).mappings():
                gz.write(_line({"t": table.name, "r": dict(row)}))
                n += 1
            counts[table.name] = n
        gz.write(_line({"end": True, "counts": counts}))


def check(inp: BinaryIO) -> None:
    """Read a whole dump without a database: ``StoreError`` unless ``restore`` would accept it
    into a store of this netwarden's schema (format, revision, every row, the trailer)."""
    lines = _lines(inp)
    _check_header(next(lines, None), migrate.head(), "this netwarden's")
    for _ in _rows(lines):
        pass


def restore(engine: Engine, inp: BinaryIO, *, replace: bool, actor: str, now: float | None) -> None:
    """Load a dump into the store in one transaction; nothing changes if anything is wrong."""
    with db.write(engine) as conn:
        lines = _lines(inp)
        _check_header(next(lines, None), migrate.current(conn), "this store")
        if not replace and _holds_rows(conn):
            raise StoreError("the store is not empty: restore refuses to merge (use replace)")
        for table in reversed(TABLES):
            conn.execute(table.delete())
        counts = _load(conn, lines)
        if engine.dialect.name == "postgresql":
            # Rows came with their ids: move the audit id sequence past them.
            conn.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('audit_log', 'id'),"
                    " COALESCE((SELECT MAX(id) FROM audit_log), 0) + 1, false)"
                )
            )
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        audit.record(
            conn, actor, "store.restore", "store", summary, now=time.time() if now is None else now
        )


def _load(conn: Connection, lines: Iterator[dict[str, Any]]) -> dict[str, int]:
    counts = {t.name: 0 for t in TABLES}
    pending: list[dict[str, Any]] = []
    current: sa.Table | None = None
    for table, row in _rows(lines):
        if table is not current or len(pending) >= BATCH:
            if current is not None and pending:
                conn.execute(current.insert(), pending)
            current, pending = table, []
        pending.append(row)
        counts[table.name] += 1
    if current is not None and pending:
        conn.execute(current.insert(), pending)
    return counts


def _rows(lines: Iterator[dict[str, Any]]) -> Iterator[tuple[sa.Table, dict[str, Any]]]:
    """Each row of the dump with its table; ``StoreError`` for a line that is not a row of
    this schema, a trailer whose counts differ, or no trailer at all."""
    counts = {t.name: 0 for t in TABLES}
    for item in lines:
        if item.get("end") is True:
            if item.get("counts") != counts:
                raise StoreError(
                    f"dump is inconsistent: trailer counts {item.get('counts')}, rows {counts}"
                )
            return
        table = _BY_NAME.get(str(item.get("t")))
        row = item.get("r")
        if table is None or not isinstance(row, dict) or set(row) != set(table.columns.keys()):
            raise StoreError(f"dump has a line that is not a row of this schema: {str(item)[:120]}")
        counts[table.name] += 1
        yield table, row
    raise StoreError("dump is truncated (no trailer): was the backup interrupted?")


def _check_header(header: dict[str, Any] | None, ours: str | None, whose: str) -> None:
    if header is None or header.get("format") != FORMAT:
        raise StoreError("not a netwarden collector dump")
    if header.get("version") != VERSION:
        raise StoreError(
            f"dump format version {header.get('version')} is not supported (need {VERSION})"
        )
    if header.get("revision") != ours:
        raise StoreError(
            f"dump is at schema revision {header.get('revision')}, {whose} at {ours}: "
            "restore with the netwarden version that made the dump"
        )


def _holds_rows(conn: Connection) -> bool:
    return any(conn.execute(sa.select(sa.exists().select_from(t))).scalar() for t in TABLES)


def _lines(inp: BinaryIO) -> Iterator[dict[str, Any]]:
    try:
        with gzip.GzipFile(fileobj=inp, mode="rb") as gz:
            for raw in gz:
                item = json.loads(raw)
                if not isinstance(item, dict):
                    raise StoreError("dump has a line that is not a JSON object")
                yield item
    except (OSError, EOFError, zlib.error, ValueError) as err:
        raise StoreError(f"dump is unreadable: {err}") from err


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode() + b"\n"
