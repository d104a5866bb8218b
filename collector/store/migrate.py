"""Alembic, configured in code: no alembic.ini at run time; scripts ship in the package.

Alembic (with Mako and its dialect modules) costs most of a CLI command's start-up, and a
store at head needs none of it: ``upgrade`` and ``current`` read the ``alembic_version`` table
with plain SQL, ``head`` reads the shipped scripts' revision lines, and Alembic is imported
only when there is something to migrate (tests/store/test_migrations.py keeps ``head`` equal
to Alembic's own answer).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from netwarden.collector.store import engine as db

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPTS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"""^(down_revision|revision)\b[^=]*=\s*(None|["']([^"']+)["'])""", re.M)


def config(conn: Connection | None = None) -> Config:
    """An Alembic config pointing at the shipped scripts; ``conn`` is the one env.py uses."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = conn
    return cfg


@functools.cache
def head() -> str:
    """The newest revision the shipped scripts know: the one no other script revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (SCRIPTS / "versions").glob("*.py"):
        found = dict((m[0], m[2]) for m in _REVISION.findall(script.read_text(encoding="utf-8")))
        if found.get("revision"):
            revisions.add(found["revision"])
        if found.get("down_revision"):
            revised.add(found["down_revision"])
    heads = revisions - revised
    # One line of history is what the shipped scripts promise; anything else is a packaging bug.
    assert len(heads) == 1, f"migration scripts have {len(heads)} heads: {sorted(heads)}"
    return heads.pop()


def upgrade(engine: Engine) -> None:
    """Migrate the database to head, in one write transaction (a no-op when already there)."""
    with db.write(engine) as conn:
        if current(conn) == head():
            return
        from alembic import command

        command.upgrade(config(conn), "head")


def current(conn: Connection) -> str | None:
    """The revision the database is at (None for an empty database)."""
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    table = sa.table(VERSION_TABLE, sa.column("version_num"))
    rows = conn.execute(sa.select(table.c.version_num)).scalars().all()
    if len(rows) > 1:
        # Several heads: let Alembic say so in its own words.
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return str(rows[0]) if rows else None
