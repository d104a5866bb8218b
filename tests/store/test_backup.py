"""Dump and restore: consistent while writing, portable between SQLite and PostgreSQL."""

import gzip
import hashlib
import io
import json
import threading
import time
from pathlib import Path

import pytest

from netwarden.collector.store import Heartbeat, ResultIn, Store, StoreError, migrate, open_store
from netwarden.collector.store.rows import ConfigRevisionIn
from tests.pg_server import PgServer

HB = Heartbeat(1.5, "0.1.0", 0.0, 4, 3, 100, 2, 0, 0, "etag", "198.18.5.10:9500")


def _fill(store: Store, results: int = 300) -> None:
    for i in range(3):
        store.redeem_join_token(
            store.create_join_token(f"ag-{i}", "hn", 60, "ana", 0.0), "h", "v", 1.0
        )
        store.record_heartbeat(f"ag-{i}", HB, 2.0)
    store.create_user_token("ana", "admin", "bootstrap", 1.0)
    store.create_join_token("ag-pending", "hn", 3600, "ana", 1.0)
    store.revoke_agent("ag-2", "ana", 3.0)
    job = store.create_job(
        "ag-0", "ping", {"target": "198.18.1.2", "unicode": "Thái Nguyên"}, "ana", 4.0
    )
    store.take_jobs("ag-0", 5.0)
    batch = [
        ResultIn(f"r{i}", "event", 6.0 + i / 7, None, {"i": i, "f": 0.1 + i})
        for i in range(results)
    ]
    store.add_results("ag-0", batch, 7.25)
    store.add_results("ag-0", [ResultIn("done", "job-result", 8.0, job, {"ok": True})], 8.5)
    config = "hostname sw-a\nbanner motd ^Sở Tài chính^\n"
    revision = ConfigRevisionIn("sw-a", "so-tc", "switch", "a" * 40, None,
                                "2026-12-07T10:00:00+07:00", 9.0,
                                hashlib.sha256(config.encode()).hexdigest(), config)  # fmt: skip
    store.add_results("ag-0", [ResultIn("cfg", "config-revision", 9.0, None,
                                        {"device": "sw-a"}, revision)], 9.5)  # fmt: skip


def _rows(store: Store) -> dict[str, object]:
    """Everything observable through the store's API."""
    return {
        "agents": store.agents(),
        "jobs": [store.job(r.job) for r in store.results("ag-0", 0, 10_000) if r.job],
        "results": {a.id: store.results(a.id, 0, 10_000) for a in store.agents()},
        "audit": store.audit_entries(10_000),
        "configs": store.config_revision("sw-a", None),
    }


def _lines(data: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress(data).splitlines()]


@pytest.mark.postgres
def test_round_trip_sqlite_to_postgresql_and_back(tmp_path: Path, pg_server: PgServer) -> None:
    src = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    back = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        _fill(src)
        ana = src.create_user_token("ana", "admin", "x", 9.0)
        cred = src.redeem_join_token(
            src.create_join_token("ag-9", "hn", 60, "ana", 9.0), "h", "v", 9.5
        ).credential
        first = io.BytesIO()
        src.dump(first)
        with pg_server.database() as url:
            pg = open_store(url)
            try:
                pg.restore(io.BytesIO(first.getvalue()), replace=False, now=10.0)
                assert _rows(pg)["agents"] == _rows(src)["agents"]
                assert pg.authenticate_agent(cred) is not None  # credentials survive the move
                assert pg.authenticate_user(ana) is not None
                pg.audit(
                    "ana", "after-restore", "x", "", 11.0
                )  # the id sequence moved past the rows
                second = io.BytesIO()
                pg.dump(second)
            finally:
                pg.close()
        back.restore(io.BytesIO(second.getvalue()), replace=False, now=12.0)
        want, got = _rows(src), _rows(back)
        for key in ("agents", "jobs", "results", "configs"):
            assert got[key] == want[key], key
        audit = got["audit"]
        assert isinstance(audit, list)
        assert [e.action for e in audit[:3]] == ["store.restore", "after-restore", "store.restore"]
        assert audit[3:] == want["audit"]
        assert back.authenticate_agent(cred) is not None
        header = _lines(second.getvalue())[0]
        assert header["backend"] == "postgresql" and header["revision"] == migrate.head()
    finally:
        src.close()
        back.close()


def test_restore_refuses_a_non_empty_store_unless_replace(store: Store, tmp_path: Path) -> None:
    src = open_store(f"sqlite:///{tmp_path / 'src.db'}")
    try:
        _fill(src, results=5)
        dump = io.BytesIO()
        src.dump(dump)
    finally:
        src.close()
    store.create_user_token("zoe", "viewer", "x", 1.0)
    with pytest.raises(StoreError, match="store is not empty"):
        store.restore(io.BytesIO(dump.getvalue()), replace=False)
    assert [e.target for e in store.audit_entries(10)] == ["zoe"]  # untouched
    store.restore(io.BytesIO(dump.getvalue()), replace=True, actor="ana", now=20.0)
    assert {a.id for a in store.agents()} == {"ag-0", "ag-1", "ag-2", "ag-pending"}
    assert store.audit_entries(1)[0].detail.startswith(
        "4 agents, 4 join_tokens, 1 user_tokens, 1 jobs, 7 results, 1 config_revisions"
    )


def test_restore_refuses_broken_dumps_and_changes_nothing(store: Store) -> None:
    _fill(store, results=5)
    good = io.BytesIO()
    store.dump(good)
    lines = gzip.decompress(good.getvalue()).splitlines(keepends=True)
    header = json.loads(lines[0])
    bad_revision = json.dumps({**header, "revision": "0999"}).encode() + b"\n"
    bad_row = b'{"t": "agents", "r": {"id": "x"}}\n'
    cases = {
        "truncated": gzip.compress(b"".join(lines[:-3])),
        "revision": gzip.compress(bad_revision + b"".join(lines[1:])),
        "row": gzip.compress(lines[0] + bad_row + b"".join(lines[1:])),
        "not gzip": b"hello",
        "not a dump": gzip.compress(b'{"hello": 1}\n'),
        "counts": gzip.compress(b"".join(lines[:-2] + lines[-1:])),
    }
    before = _rows(store)
    messages = {}
    for name, data in cases.items():
        with pytest.raises(StoreError) as info:
            store.restore(io.BytesIO(data), replace=True)
        messages[name] = str(info.value)
    assert "truncated" in messages["truncated"]
    assert f"revision 0999, this store at {migrate.head()}" in messages["revision"]
    assert "not a row of this schema" in messages["row"]
    assert "unreadable" in messages["not gzip"]
    assert messages["not a dump"] == "not a netwarden collector dump"
    assert "inconsistent" in messages["counts"]
    assert _rows(store) == before


def test_dump_is_one_consistent_snapshot_while_another_connection_writes(
    store: Store, store_url: str
) -> None:
    """A writer keeps adding (job + audit entry + version bump) and result batches during dumps."""
    _fill(store, results=2000)
    writer = open_store(store_url)
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        i = 0
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                writer.create_job("ag-1", "ping", {"i": i}, "bob", 100.0 + i)
                writer.add_results(
                    "ag-1", [ResultIn(f"w{i}-{k}", "event", 1.0, None, {}) for k in range(3)], 100.0
                )
            except BaseException as err:  # reported below, in the test's thread
                errors.append(err)
                return
            i += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        seen_writes_during_dumps = 0
        for _ in range(4):
            before = writer.jobs_version("ag-1")
            out = io.BytesIO()
            store.dump(out)
            after = writer.jobs_version("ag-1")
            seen_writes_during_dumps += after - before
            _check_consistent(_lines(out.getvalue()), before, after)
    finally:
        stop.set()
        thread.join(30)
        writer.close()
    assert not errors, errors
    assert seen_writes_during_dumps > 0  # the dumps did overlap with writes


def _check_consistent(lines: list[dict[str, object]], before: int, after: int) -> None:
    rows: dict[str, list[dict[str, object]]] = {}
    for item in lines[1:-1]:
        rows.setdefault(str(item["t"]), []).append(item["r"])  # type: ignore[arg-type]
    ag1 = next(r for r in rows["agents"] if r["id"] == "ag-1")
    jobs = [r for r in rows["jobs"] if r["agent_id"] == "ag-1"]
    results = [r for r in rows["results"] if r["agent_id"] == "ag-1"]
    audits = [r for r in rows["audit_log"] if r["action"] == "job.create" and r["target"] == "ag-1"]
    # One point in time: each write transaction is in the dump entirely or not at all.
    assert before <= ag1["jobs_version"] <= after  # type: ignore[operator]
    assert ag1["jobs_version"] == len(jobs) == len(audits)
    assert ag1["results_seq"] == len(results)
    # The writer adds a job, then (next transaction) its 3 results: a snapshot may fall between.
    assert len(results) in (3 * len(jobs), 3 * (len(jobs) - 1))
    assert lines[-1]["counts"] == {t: len(rows.get(t, [])) for t in lines[0]["tables"]}  # type: ignore[union-attr]
