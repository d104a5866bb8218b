"""Fixtures for every tier: one throwaway PostgreSQL server per test session; hypothesis's
profile."""

from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.pg_server import PgServer, PgUnavailable

# No per-example deadline: on a loaded machine (the tiers and mypy share two cores) a slow first
# example fails a property test with Flaky/DeadlineExceeded although nothing is wrong. Tests
# that set their own settings keep them.
settings.register_profile("netwarden", deadline=None)
settings.load_profile("netwarden")


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
