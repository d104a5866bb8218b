"""The webhook's property test on PostgreSQL: random mutations of a valid body never get a
5xx and never leave part of a request stored (the SQLite run is in tests/unit/collector)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pg_server import PgServer
from tests.unit.collector.conftest import Clock, IncidentApp
from tests.unit.collector.test_api_alerts import MUTATIONS, check_mutations
from tests.unit.incidents.webhooks import BASE


@pytest.fixture
def pg_app(tmp_path: Path, pg_server: PgServer) -> Iterator[IncidentApp]:
    with pg_server.database() as url:
        app = IncidentApp(tmp_path, Clock(BASE + 60), db_url=url)
        try:
            yield app
        finally:
            app.close()


@pytest.mark.postgres
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutations=MUTATIONS, fresh=st.integers(0, 10**9))
def test_mutations_on_postgresql(
    pg_app: IncidentApp, mutations: list[tuple[int, str, Any, bool]], fresh: int
) -> None:
    check_mutations(pg_app, mutations, fresh)
