"""Alembic, configured in code: no alembic.ini at run time; scripts ship in the package."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from netwarden.collector.store import engine as db

SCRIPTS = Path(__file__).parent / "migrations"


def config(conn: Connection | None = None) -> Config:
    """An Alembic config pointing at the shipped scripts; ``conn`` is the one env.py uses."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    """The newest revision the shipped scripts know."""
    rev = ScriptDirectory.from_config(config()).get_current_head()
    assert rev is not None
    return rev


def upgrade(engine: Engine) -> None:
    """Migrate the database to head, in one write transaction (a no-op when already there)."""
    with db.write(engine) as conn:
        command.upgrade(config(conn), "head")


def current(conn: Connection) -> str | None:
    """The revision the database is at (None for an empty database)."""
    return MigrationContext.configure(conn).get_current_revision()
