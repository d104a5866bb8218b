"""The throwaway PostgreSQL server helper: quick to start, gone after stop, clear when missing."""

import socket
from pathlib import Path

import psycopg
import pytest

from tests.pg_server import HINT, PgServer, PgUnavailable, find_bindir


def test_missing_binaries_give_the_setup_hint(tmp_path: Path) -> None:
    (tmp_path / "15" / "bin").mkdir(parents=True)  # a version folder without initdb
    with pytest.raises(PgUnavailable) as info:
        find_bindir(tmp_path)
    assert str(info.value) == HINT


@pytest.mark.postgres
def test_server_starts_quickly_on_loopback_and_leaves_nothing_behind() -> None:
    server = PgServer.start()
    try:
        print(f"PostgreSQL server started in {server.startup_seconds:.2f} s on port {server.port}")
        assert server.startup_seconds < 15  # typically ~1 s; generous for a loaded CI machine
        with psycopg.connect(
            host="127.0.0.1", port=server.port, user=server.user, dbname="postgres"
        ) as conn:
            assert conn.execute("SHOW fsync").fetchone() == ("off",)
            assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        root = server.root
    finally:
        server.stop()
    assert not root.exists()
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", server.port))
