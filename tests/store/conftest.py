"""Fixtures for the store tests: every test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test session (``pg_server`` in tests/conftest.py)
and each test gets a fresh database on it. Missing binaries make the PostgreSQL runs fail
with a hint, never skip.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from netwarden.collector.store import Store, open_store
from tests.migrated import prepare_at_head
from tests.pg_server import PgServer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'collector.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with server.database() as url:
        yield url


@pytest.fixture
def store(store_url: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A migrated store on each database kind, closed after the test (a copy of a template
    migrated once per test process: tests/migrated.py)."""
    server = None if store_url.startswith("sqlite") else request.getfixturevalue("pg_server")
    prepare_at_head(store_url, server)
    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()
