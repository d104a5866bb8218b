"""Fixtures for every tier: one throwaway PostgreSQL server per test session."""

from collections.abc import Iterator

import pytest

from tests.pg_server import PgServer, PgUnavailable


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server for the whole session, stopped and removed at the end.
    Missing binaries make the PostgreSQL runs fail with a hint, never skip."""
    try:
        server = PgServer.start()
    except PgUnavailable as err:
        pytest.fail(str(err), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
