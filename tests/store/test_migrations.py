"""Migrations: head on both databases, idempotent, and identical to schema.py."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from netwarden.collector.store import StoreError, migrate, open_store
from netwarden.collector.store import engine as db
from netwarden.collector.store.schema import TABLES, metadata
from tests.ports import free_port


def test_migrated_database_matches_the_metadata_and_reopening_changes_nothing(
    store_url: str,
) -> None:
    first = open_store(store_url)
    first.create_user_token("ana", "admin", "test", 1.0)
    first.close()
    again = open_store(store_url)  # a second upgrade to head is a no-op and keeps the data
    try:
        engine = db.create(db.parse_url(store_url))
        with engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            names = set(sa.inspect(conn).get_table_names())
        engine.dispose()
        assert diff == []
        assert names == {t.name for t in TABLES} | {"alembic_version"}
        assert again.authenticate_user("nwu.ana.x") is None
        assert [e.action for e in again.audit_entries(10)] == ["user-token.create"]
    finally:
        again.close()


def test_sqlite_store_creates_its_directory_and_runs_in_wal(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "state.db"
    s = open_store(f"sqlite:///{path}")
    try:
        engine = db.create(db.parse_url(f"sqlite:///{path}"))
        with engine.connect() as conn:
            pragmas = {
                p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            }
        engine.dispose()
    finally:
        s.close()
    assert path.is_file()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 1,
        "busy_timeout": 30000,
    }
    # WAL is a property of the file: a plain sqlite3 connection sees it too.
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "in-memory SQLite store is not durable"),
        ("sqlite:///:memory:", "in-memory SQLite store is not durable"),
        ("mysql://u@127.0.0.1/db", "unsupported database 'mysql'"),
        ("postgresql+asyncpg://u@127.0.0.1/db", "unsupported PostgreSQL driver"),
        ("not a url", "not a database URL"),
    ],
)
def test_bad_urls_are_refused_with_one_line(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as info:
        open_store(url)
    assert "\n" not in str(info.value)


def test_postgresql_url_maps_to_psycopg3_and_relative_sqlite_paths_become_absolute() -> None:
    assert db.parse_url("postgresql://nw@127.0.0.1:5433/nw").drivername == "postgresql+psycopg"
    parsed = db.parse_url("sqlite:///rel/state.db")
    assert parsed.database is not None and Path(parsed.database).is_absolute()


def test_unreachable_postgresql_is_a_store_error_without_the_password() -> None:
    url = f"postgresql://nw:hunter2@127.0.0.1:{free_port()}/nw"
    with pytest.raises(StoreError, match="database error") as info:
        open_store(url)
    assert "hunter2" not in str(info.value)
    assert "\n" not in str(info.value)


def test_a_0001_database_upgrades_to_the_incident_record_keeping_its_data(store_url: str) -> None:
    from alembic import command

    engine = db.create(db.parse_url(store_url))
    try:
        with db.write(engine) as conn:
            command.upgrade(migrate.config(conn), "0001")
        with db.write(engine) as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO user_tokens (token_hash, name, role, created_at, created_by)"
                    " VALUES ('h', 'ana', 'admin', 1.0, 'test')"
                )
            )
    finally:
        engine.dispose()
    upgraded = open_store(store_url)
    try:
        engine = db.create(db.parse_url(store_url))
        with engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
            names = set(sa.inspect(conn).get_table_names())
            kept = conn.execute(sa.text("SELECT name FROM user_tokens")).scalars().all()
        engine.dispose()
        assert {"incidents", "incident_alerts", "maintenance_windows"} <= names
        assert kept == ["ana"]
    finally:
        upgraded.close()


def test_head_read_from_the_scripts_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    assert migrate.head() == ScriptDirectory.from_config(migrate.config()).get_current_head()


def test_a_store_at_head_opens_without_importing_alembic(tmp_path: Path) -> None:
    # The CLI's start-up cost: opening a migrated store must not pay for Alembic (and Mako).
    url = f"sqlite:///{tmp_path / 'c.db'}"
    open_store(url).close()
    probe = (
        "import sys\nfrom netwarden.collector.store import open_store\n"
        f"open_store({url!r}).close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
