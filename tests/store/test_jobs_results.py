"""Jobs (lease and re-delivery, closing by result) and results (idempotent, ordered)."""

from functools import partial

import pytest

from netwarden.collector.store import (
    JOB_LEASE,
    ResultIn,
    Store,
    StoreInputError,
    UnknownAgentError,
    open_store,
)
from tests.store.race import race


def _enrol(store: Store, agent_id: str = "ag-1") -> None:
    store.redeem_join_token(store.create_join_token(agent_id, "hn", 60, "ana", 0.0), "h", "v", 1.0)


def _res(rid: str, kind: str = "event", job: str | None = None, **payload: object) -> ResultIn:
    return ResultIn(id=rid, kind=kind, at=50.0, job=job, payload=dict(payload))  # type: ignore[arg-type]


def test_jobs_are_delivered_oldest_first_leased_and_redelivered_after_the_lease(
    store: Store,
) -> None:
    _enrol(store)
    v0 = store.jobs_version("ag-1")
    first = store.create_job("ag-1", "ping", {"target": "198.18.1.2", "count": 3}, "bob", 10.0)
    second = store.create_job("ag-1", "traceroute", {}, "bob", 11.0)
    assert store.jobs_version("ag-1") == v0 + 2
    assert store.has_jobs("ag-1", 12.0)

    taken = store.take_jobs("ag-1", 12.0, limit=1)
    assert [(j.id, j.kind, j.params, j.deliveries) for j in taken] == [
        (first, "ping", {"target": "198.18.1.2", "count": 3}, 1)
    ]
    assert [j.id for j in store.take_jobs("ag-1", 13.0)] == [second]
    assert store.take_jobs("ag-1", 14.0) == []  # both leased
    assert not store.has_jobs("ag-1", 12.0 + JOB_LEASE - 1)
    # The lease runs out: both come back, counted as second deliveries.
    again = store.take_jobs("ag-1", 13.0 + JOB_LEASE)
    assert [(j.id, j.deliveries, j.state) for j in again] == [
        (first, 2, "delivered"),
        (second, 2, "delivered"),
    ]
    assert store.jobs_version("ag-1") == v0 + 2  # leases do not bump the version


def test_a_job_result_closes_its_job_for_good(store: Store) -> None:
    _enrol(store)
    _enrol(store, "ag-2")
    job = store.create_job("ag-1", "ping", {}, "bob", 10.0)
    store.take_jobs("ag-1", 11.0)
    # Another agent's result naming this job closes nothing.
    assert store.add_results("ag-2", [_res("x", "job-result", job)], 12.0) == (1, 0)
    j = store.job(job)
    assert j is not None and j.state == "delivered"
    assert store.add_results("ag-1", [_res("r1", "job-result", job, ok=True)], 20.0) == (1, 0)
    j = store.job(job)
    assert j is not None and (j.state, j.done_at) == ("done", 20.0)
    assert store.take_jobs("ag-1", 10_000.0) == []
    assert not store.has_jobs("ag-1", 10_000.0)


def test_results_are_stored_once_and_listed_in_arrival_order(store: Store) -> None:
    _enrol(store)
    assert store.add_results("ag-1", [_res("c", n=1), _res("a", n=2), _res("b", n=3)], 100.0) == (
        3,
        0,
    )
    # A re-sent batch (the agent lost the answer) plus one new result; a repeat inside the batch.
    assert store.add_results(
        "ag-1", [_res("a", n=2), _res("b", n=3), _res("d", n=4), _res("d", n=4)], 100.0
    ) == (1, 3)
    assert store.add_results("ag-1", [_res("e", "poll-summary", devices=5)], 200.0) == (1, 0)

    rows = store.results("ag-1", since=0.0, limit=100)
    assert [(r.id, r.seq, r.payload) for r in rows] == [
        ("c", 1, {"n": 1}),
        ("a", 2, {"n": 2}),
        ("b", 3, {"n": 3}),
        ("d", 4, {"n": 4}),
        ("e", 5, {"devices": 5}),
    ]
    assert rows[-1].kind == "poll-summary" and rows[-1].received_at == 200.0 and rows[0].at == 50.0
    assert [r.id for r in store.results("ag-1", since=150.0, limit=100)] == ["e"]
    assert [r.id for r in store.results("ag-1", since=0.0, limit=2)] == ["c", "a"]
    assert store.results("ag-2", since=0.0, limit=100) == []


def test_a_cursor_on_seq_reaches_every_result_of_batches_that_share_one_time(
    store: Store,
) -> None:
    """Two batches of 1,000 arrive at the same received time: paging by ``since`` would find
    the first page forever; the ``after_seq`` cursor walks all 2,000 in order."""
    _enrol(store)
    ids = [f"r{n:04d}" for n in range(2000)]
    for half in (ids[:1000], ids[1000:]):
        assert store.add_results("ag-1", [_res(i) for i in half], 500.0) == (1000, 0)
    read: list[str] = []
    cursor = 0
    for _ in range(10):  # bounded: 2,000 results in pages of 300 take 7
        page = store.results("ag-1", since=500.0, limit=300, after_seq=cursor)
        if not page:
            break
        read += [r.id for r in page]
        cursor = page[-1].seq
    assert read == ids
    assert store.results("ag-1", since=0.0, limit=10, after_seq=cursor) == []


def test_result_ids_are_per_agent(store: Store) -> None:
    _enrol(store)
    _enrol(store, "ag-2")
    assert store.add_results("ag-1", [_res("same")], 1.0) == (1, 0)
    assert store.add_results("ag-2", [_res("same")], 1.0) == (1, 0)


def test_bad_input_and_unknown_agents(store: Store) -> None:
    _enrol(store)
    with pytest.raises(StoreInputError, match="unknown kind 'metric'"):
        store.add_results("ag-1", [_res("a", "metric")], 1.0)
    with pytest.raises(StoreInputError, match="job id must be 1-36"):
        store.add_results("ag-1", [_res("a", "job-result", "j" * 37)], 1.0)
    with pytest.raises(UnknownAgentError):
        store.add_results("ghost", [_res("a")], 1.0)
    with pytest.raises(UnknownAgentError):
        store.create_job("ghost", "ping", {}, "bob", 1.0)
    with pytest.raises(UnknownAgentError):
        store.jobs_version("ghost")
    assert store.results("ag-1", 0.0, 10) == []  # the refused batch left nothing


def test_the_same_batch_posted_twice_at_once_is_stored_once(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(2)]
    try:
        _enrol(stores[0])
        for round_ in range(10):
            batch = [_res(f"r{round_}-{i}", i=i) for i in range(20)]
            outcomes = race([partial(s.add_results, "ag-1", batch, 5.0) for s in stores])
            assert all(isinstance(o, tuple) for o in outcomes), outcomes
            assert sorted(outcomes) == [(0, 20), (20, 0)]  # type: ignore[type-var]
        rows = stores[0].results("ag-1", 0.0, 1000)
        assert [r.seq for r in rows] == list(range(1, 201))
    finally:
        for s in stores:
            s.close()


def test_racing_takes_deliver_each_job_once(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(3)]
    try:
        _enrol(stores[0])
        created = {
            stores[0].create_job("ag-1", "ping", {"i": i}, "bob", float(i)) for i in range(30)
        }

        def take_all(s: Store) -> list[str]:
            return [j.id for _ in range(20) for j in s.take_jobs("ag-1", 100.0, limit=2)]

        outcomes = race([partial(take_all, s) for s in stores])
        got = [job for taken in outcomes for job in taken]  # type: ignore[union-attr]
        assert sorted(got) == sorted(created)
    finally:
        for s in stores:
            s.close()
