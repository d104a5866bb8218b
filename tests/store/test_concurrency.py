"""Many threads on one store: no "database is locked", nothing lost or doubled."""

import threading
import time

from netwarden.collector.store import Heartbeat, ResultIn, Store

THREADS = 8
ROUNDS = 40


def test_eight_threads_hammering_heartbeats_and_results(store: Store) -> None:
    for a in range(4):
        store.redeem_join_token(
            store.create_join_token(f"ag-{a}", "hn", 60, "ana", 0.0), "h", "v", 1.0
        )
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def hammer(n: int) -> None:
        agent = f"ag-{n % 4}"  # two threads per agent: they contend for the same rows
        barrier.wait()
        try:
            for i in range(ROUNDS):
                hb = Heartbeat(float(i), "v", 0.0, 1, 1, i, 0, 0, 0, None, None)
                store.record_heartbeat(agent, hb, received_at=float(i))
                batch = [ResultIn(f"t{n}-{i}-{k}", "event", 0.0, None, {"n": n}) for k in range(5)]
                store.add_results(agent, batch, float(i))
                store.add_results(agent, batch[:2], float(i))  # a retry: all duplicates
        except BaseException as err:  # collected and asserted in the test's thread
            errors.append(err)

    started = time.monotonic()
    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    elapsed = time.monotonic() - started
    assert not errors, errors[:3]
    for a in range(4):
        rows = store.results(f"ag-{a}", 0.0, 10_000)
        assert len(rows) == 2 * ROUNDS * 5
        assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    txs = THREADS * ROUNDS * 3
    print(f"{THREADS} threads x {ROUNDS} rounds ({txs} transactions) in {elapsed:.2f} s")
