"""Stores that start at head without running the migrations again for every test.

Migrating an empty database to head costs a test 0.4-0.8 s (Alembic, seven scripts, batch
table copies on SQLite); hundreds of tests only need an empty store at head. Each test process
migrates once, into a template, and each test gets a copy: a file copy on SQLite, ``CREATE
DATABASE ... TEMPLATE`` on PostgreSQL. ``open_store`` then finds the copy at head and migrates
nothing. Tests of the migrations themselves keep opening empty databases
(tests/store/test_migrations.py).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from netwarden.collector.store import open_store
from netwarden.collector.store.engine import sqlite_path
from tests.pg_server import PgServer

# One template per test process, made on first use: SQLite's path under "sqlite", each
# PostgreSQL server's template database under its port.
_sqlite_templates: dict[str, Path] = {}
_pg_templates: dict[int, str] = {}


def _sqlite_template_file() -> Path:
    made = _sqlite_templates.get("sqlite")
    if made is None or not made.is_file():
        root = Path(tempfile.mkdtemp(prefix="netwarden-tmpl-"))
        atexit.register(shutil.rmtree, root, True)
        path = root / "collector.db"
        open_store(f"sqlite:///{path}").close()
        made = _sqlite_templates["sqlite"] = path
    return made


def sqlite_at_head(path: Path) -> str:
    """A SQLite store file at ``path`` already at head (a copy of the template); its URL."""
    # The modes open_store gives a file it creates (engine.private_sqlite_file).
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(_sqlite_template_file(), path)
    os.chmod(path, 0o600)
    return f"sqlite:///{path}"


def prepare_at_head(url: str, server: PgServer | None = None) -> None:
    """Turn the fresh, empty database at ``url`` into one at head (SQLite, or PostgreSQL on
    ``server``) without migrating it."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            sqlite_at_head(path)
        return
    assert server is not None, "a PostgreSQL URL needs its server"
    name = url.rsplit("/", 1)[1]
    template = _pg_template(server)
    with _admin(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


def _pg_template(server: PgServer) -> str:
    if server.port not in _pg_templates:
        name = f"tmpl_{uuid.uuid4().hex[:12]}"
        with _admin(server) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        open_store(server.url(name)).close()  # closed: a template may have no connections
        _pg_templates[server.port] = name
    return _pg_templates[server.port]


def _admin(server: PgServer) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host="127.0.0.1", port=server.port, user=server.user, dbname="postgres", autocommit=True
    )
