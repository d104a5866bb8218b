"""Heartbeat jitter: agents that start together spread out, and the mean interval holds."""

from __future__ import annotations

import random
import statistics

from netwarden.agent.sync.pacing import JITTER, jittered


def test_jittered_intervals_stay_within_bounds_and_average_the_interval() -> None:
    rng = random.Random(1)
    waits = [jittered(15.0, rng) for _ in range(10_000)]
    assert min(waits) >= 15.0 * (1 - JITTER)
    assert max(waits) <= 15.0 * (1 + JITTER)
    assert abs(statistics.fmean(waits) - 15.0) < 0.05
    assert max(waits) - min(waits) > 2.5  # spread, not one fixed value


def test_agents_that_start_together_drift_apart() -> None:
    # 1,000 agents whose first heartbeat is at the same instant: after 4 periods of 15 s their
    # heartbeats are spread over seconds, not stacked at one moment.
    rngs = [random.Random(seed) for seed in range(1000)]
    due = [sum(jittered(15.0, rng) for _ in range(4)) for rng in rngs]
    per_second: dict[int, int] = {}
    for t in due:
        per_second[int(t)] = per_second.get(int(t), 0) + 1
    assert max(due) - min(due) > 6.0
    assert max(per_second.values()) < 250  # at most a quarter of the fleet in any one second
