"""Every device's configuration history in the store, on SQLite and PostgreSQL: a revision is
kept once, an unchanged configuration from a new agent is no revision, a lost agent loses no
history, and the result row keeps the metadata only."""

from __future__ import annotations

import hashlib

import pytest

from netwarden.collector.store import ResultIn, Store, StoreInputError
from netwarden.collector.store.rows import ConfigRevisionIn


def _enrol(store: Store, agent_id: str) -> None:
    store.redeem_join_token(store.create_join_token(agent_id, "a", 60, "ana", 0.0), "h", "v", 1.0)


def _rev(commit: str, config: str, at: float, previous: str | None = None) -> ConfigRevisionIn:
    return ConfigRevisionIn(
        device="sw-a", site="a", role="switch", revision=commit, previous_revision=previous,
        time=f"2026-12-07T10:00:{int(at) % 60:02d}+07:00", fetched_at=at,
        sha256=hashlib.sha256(config.encode()).hexdigest(), config=config,
    )  # fmt: skip


def _post(store: Store, agent: str, rid: str, rev: ConfigRevisionIn, now: float) -> tuple[int, int]:
    payload = {"device": rev.device, "commit": rev.revision, "sha256": rev.sha256}
    result = ResultIn(rid, "config-revision", now, None, payload, revision=rev)
    return store.add_results(agent, [result], now)


C1, C2, C3 = "1" * 40, "2" * 40, "3" * 40


def test_history_newest_first_each_revision_once(store: Store) -> None:
    _enrol(store, "ag-1")
    assert _post(store, "ag-1", "r1", _rev(C1, "hostname sw-a\n", 100.0), 101.0) == (1, 0)
    assert _post(store, "ag-1", "r1", _rev(C1, "hostname sw-a\n", 100.0), 102.0) == (0, 1)
    # The same commit in another result (a re-send after a crash): kept once.
    assert _post(store, "ag-1", "r2", _rev(C1, "hostname sw-a\n", 100.0), 103.0) == (1, 0)
    _post(store, "ag-1", "r3", _rev(C2, "hostname sw-a\n shutdown\n", 200.0, C1), 201.0)
    listed = store.config_history("sw-a", 10)
    assert [(r.revision, r.agent_id, r.previous_revision, r.config) for r in listed] == [
        (C2, "ag-1", C1, None),
        (C1, "ag-1", None, None),
    ]
    assert listed[0].size == len("hostname sw-a\n shutdown\n")
    # The result rows keep the metadata, not the configuration (kept once, above).
    assert all("config" not in r.payload for r in store.results("ag-1", 0.0, 10))


def test_a_replacement_agent_adds_no_revision_for_an_unchanged_device(store: Store) -> None:
    _enrol(store, "ag-old")
    _enrol(store, "ag-new")
    _post(store, "ag-old", "r1", _rev(C1, "hostname sw-a\n", 100.0), 101.0)
    # The old box is lost; the new one's first backup has a commit of its own store.
    _post(store, "ag-new", "r2", _rev(C2, "hostname sw-a\n", 500.0), 501.0)
    assert [r.revision for r in store.config_history("sw-a", 10)] == [C1]
    _post(store, "ag-new", "r3", _rev(C3, "hostname sw-a\n!x\n", 600.0, C2), 601.0)
    assert [(r.revision, r.agent_id) for r in store.config_history("sw-a", 10)] == [
        (C3, "ag-new"),
        (C1, "ag-old"),
    ]


def test_one_revision_and_the_one_before_by_prefix(store: Store) -> None:
    _enrol(store, "ag-1")
    _post(store, "ag-1", "r1", _rev("abcd1" + "0" * 35, "one\n", 100.0), 101.0)
    _post(store, "ag-1", "r2", _rev("abcd2" + "0" * 35, "two\n", 200.0), 201.0)
    newest, before = store.config_revision("sw-a", None)
    assert newest is not None and before is not None
    assert (newest.config, before.config) == ("two\n", "one\n")
    first, nothing = store.config_revision("sw-a", "abcd1")
    assert first is not None and first.config == "one\n" and nothing is None
    assert store.config_revision("sw-a", "ffff") == (None, None)
    assert store.config_revision("sw-zz", None) == (None, None)
    with pytest.raises(StoreInputError, match="ambiguous"):
        store.config_revision("sw-a", "abcd")  # both revisions start so
    with pytest.raises(StoreInputError, match="not a revision"):
        store.config_revision("sw-a", "HEAD~1")


def test_devices_with_their_newest_revision(store: Store) -> None:
    _enrol(store, "ag-1")
    _post(store, "ag-1", "r1", _rev(C1, "one\n", 100.0), 101.0)
    _post(store, "ag-1", "r2", _rev(C2, "two\n", 200.0, C1), 201.0)
    (row,) = store.config_devices()
    assert (row.device, row.revisions, row.last_revision, row.agent_id) == ("sw-a", 2, C2, "ag-1")


def test_values_the_store_cannot_hold_are_refused(store: Store) -> None:
    _enrol(store, "ag-1")
    bad = [
        _rev("not-a-commit", "x\n", 1.0),
        ConfigRevisionIn("sw-a", "a", "switch", C1, None, "t", 1.0, "0" * 63, "x\n"),
        ConfigRevisionIn("sw-a\x00", "a", "switch", C1, None, "t", 1.0, "0" * 64, "x\n"),
    ]
    for number, rev in enumerate(bad):
        with pytest.raises(StoreInputError):
            _post(store, "ag-1", f"bad-{number}", rev, 2.0)
    assert store.config_history("sw-a", 10) == []
    assert store.results("ag-1", 0.0, 10) == []  # the batch is refused whole
