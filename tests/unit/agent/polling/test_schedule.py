"""The scheduler: each device on its own interval, a dead device delays only itself, polls in
flight are bounded, and a crashing poll does not end its device's loop."""

from __future__ import annotations

import asyncio
import itertools
import random
import time

from netwarden.agent.polling.schedule import DEADLINE_SHARE, Scheduler
from tests.waiting import wait_for_async


def test_each_device_polls_on_its_interval_with_a_deadline_below_it() -> None:
    async def scenario() -> tuple[dict[str, list[float]], float]:
        seen: dict[str, list[float]] = {"fast": [], "slow": []}
        deadlines: list[float] = []

        def poller(key: str):  # type: ignore[no-untyped-def]
            async def poll(deadline: float) -> None:
                seen[key].append(time.monotonic())
                deadlines.append(deadline)

            return poll

        def fast_on_its_own() -> bool:
            # Two fast polls closer together than the slow interval: the fast device keeps
            # its own. (Counted as 2 fast polls per slow one, a loop a loaded machine woke
            # only every 0.1-0.2 s for a while polled both about once per wake-up.)
            gaps = [b - a for a, b in itertools.pairwise(seen["fast"])]
            return bool(gaps) and min(gaps) < 0.15

        sched = Scheduler(rng=random.Random(1))
        started = time.monotonic()
        sched.start("fast", 0.05, poller("fast"))
        sched.start("slow", 0.2, poller("slow"))
        await wait_for_async("polls of both", lambda: len(seen["slow"]) >= 3, 10)
        await wait_for_async("the fast device on its own interval", fast_on_its_own, 10)
        await sched.stop()
        assert max(deadlines) <= 0.2 * DEADLINE_SHARE + 1e-9
        return seen, time.monotonic() - started

    seen, elapsed = asyncio.run(scenario())
    # Never faster than its interval (timers are never early: at most one poll a tick, the
    # first within a tenth of it); a loaded machine only makes polls fewer, so the lower
    # bounds are what was waited for.
    assert len(seen["fast"]) <= elapsed / 0.05 + 1
    assert len(seen["slow"]) <= elapsed / 0.2 + 1


def test_a_hanging_device_does_not_delay_the_others() -> None:
    """Counted against the dead device's own poll, not the clock: while that one poll uses
    its whole 1.8 s deadline, the healthy device (every 0.05 s, ~36 polls) keeps its own
    schedule; held up by the dead one it would get at most one poll in. On a loaded machine
    the loop wakes less often and the count drops towards the number of wake-ups, so the
    bound is 5, far from both."""

    async def scenario() -> int:
        healthy_polls = 0
        during: list[int] = []
        done = asyncio.Event()

        async def dead(deadline: float) -> None:
            at_start = healthy_polls
            await asyncio.sleep(deadline)  # uses its whole deadline, every time
            during.append(healthy_polls - at_start)
            done.set()

        async def healthy(deadline: float) -> None:
            nonlocal healthy_polls
            healthy_polls += 1

        sched = Scheduler(max_in_flight=2, rng=random.Random(2))
        sched.start("dead", 2.0, dead)
        sched.start("ok", 0.05, healthy)
        await asyncio.wait_for(done.wait(), 60)
        await sched.stop()
        return during[0]

    assert asyncio.run(scenario()) >= 5


def test_polls_in_flight_are_bounded() -> None:
    async def scenario() -> int:
        running = peak = 0

        async def poll(deadline: float) -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.05)
            running -= 1

        sched = Scheduler(max_in_flight=3, rng=random.Random(3))
        for n in range(20):
            sched.start(f"d{n}", 0.1, poll)
        await asyncio.sleep(0.3)
        await sched.stop()
        return peak

    assert asyncio.run(scenario()) == 3


def test_a_crashing_poll_keeps_its_loop(caplog) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> int:
        calls = 0

        async def poll(deadline: float) -> None:
            nonlocal calls
            calls += 1
            raise RuntimeError("bug")

        sched = Scheduler(rng=random.Random(4))
        sched.start("buggy", 0.05, poll)
        await wait_for_async("polls after the crashes", lambda: calls >= 4, 10)
        await sched.stop()
        return calls

    assert asyncio.run(scenario()) >= 4
    assert "poll of buggy failed unexpectedly" in caplog.text


def test_restarting_a_key_replaces_its_loop() -> None:
    async def scenario() -> tuple[int, int]:
        counts = {"old": 0, "new": 0}

        def make(name: str):  # type: ignore[no-untyped-def]
            async def poll(deadline: float) -> None:
                counts[name] += 1

            return poll

        sched = Scheduler(rng=random.Random(5))
        sched.start("d", 0.05, make("old"))
        await wait_for_async("the old loop polling", lambda: counts["old"] >= 2, 10)
        sched.start("d", 0.05, make("new"))
        before = counts["old"]
        await wait_for_async("the new loop polling", lambda: counts["new"] >= 3, 10)
        await sched.stop()
        assert sched.keys() == set()
        return before, counts["old"]

    before, after = asyncio.run(scenario())
    assert before == after


def test_stop_ends_a_loop_whose_poll_swallowed_the_cancellation() -> None:
    """asyncio.wait_for on Python 3.11 returns its inner result instead of raising when the
    cancellation lands as that result arrives: the poll returns normally, and the loop must
    still end (it once polled on for ever and the agent's shutdown hung)."""

    async def scenario() -> int:
        calls = swallowed = 0

        async def poll(deadline: float) -> None:
            nonlocal calls, swallowed
            calls += 1
            try:
                # Until cancelled, so stop()'s cancellation lands in the poll: a poll that
                # slept its 45 ms deadline had ended before a loaded machine ran stop().
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                if swallowed:  # only the first, as wait_for did on 3.11
                    raise
                swallowed += 1

        sched = Scheduler(rng=random.Random(6))
        sched.start("d", 0.05, poll)
        await wait_for_async("a first poll", lambda: calls >= 1, 10)
        stopping = asyncio.ensure_future(sched.stop())
        await wait_for_async("stop() ending the loop", stopping.done, 5)
        return swallowed

    assert asyncio.run(scenario()) == 1
