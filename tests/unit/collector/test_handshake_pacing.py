"""The handshake pacer: starts in order, never more than ``per_tick`` in a tick, all of them."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from netwarden.collector.handshake_pacing import HandshakePacer


def _paced(per_tick: int, tick: float, count: int) -> list[tuple[int, float]]:
    async def main() -> list[tuple[int, float]]:
        loop = asyncio.get_running_loop()
        pacer = HandshakePacer(per_tick, tick)
        started: list[tuple[int, float]] = []
        done = asyncio.Event()

        def start(n: int) -> None:
            started.append((n, loop.time()))
            if len(started) == count:
                done.set()

        for n in range(count):
            pacer.submit(lambda n=n: start(n))  # type: ignore[misc]
        assert len(started) == per_tick  # the first tick's at once, the rest wait
        await asyncio.wait_for(done.wait(), 30)
        return started

    return uvloop.run(main())


def test_starts_come_in_order_at_most_per_tick_in_a_tick() -> None:
    per_tick, tick = 3, 0.02
    started = _paced(per_tick, tick, 20)
    assert [n for n, _ in started] == list(range(20))
    times = [t for _, t in started]
    for first, later in zip(times, times[per_tick:], strict=False):
        # libuv's timers have millisecond resolution: a tick may end up to 1 ms early.
        assert later - first >= tick - 0.0011


@pytest.mark.parametrize(("per_tick", "tick"), [(0, 0.01), (1, 0.0)])
def test_a_pacer_that_could_never_start_anything_is_refused(per_tick: int, tick: float) -> None:
    with pytest.raises(ValueError, match="at least one start per positive tick"):
        HandshakePacer(per_tick, tick)
