"""The pure part of the impairment bridge: loss maths, loss decisions, delay scheduling."""

from __future__ import annotations

import math
import random

import pytest

from netwarden.lab.impair_model import Direction, ImpairSpec, per_direction_loss


@pytest.mark.parametrize("loss", [0.0, 0.01, 0.2, 0.5, 0.99, 1.0])
def test_per_direction_loss_composes_to_round_trip_loss(loss: float) -> None:
    p = per_direction_loss(loss)
    assert 1 - (1 - p) ** 2 == pytest.approx(loss, abs=1e-12)


def test_per_direction_loss_of_20pct_is_10_56pct() -> None:
    assert per_direction_loss(0.2) == pytest.approx(1 - math.sqrt(0.8))
    assert f"{per_direction_loss(0.2) * 100:.2f}" == "10.56"


def test_per_direction_loss_is_exact_for_tiny_loss() -> None:
    assert per_direction_loss(1e-12) == pytest.approx(5e-13, rel=1e-9)


@pytest.mark.parametrize("loss", [-0.01, 1.01])
def test_per_direction_loss_rejects_out_of_range(loss: float) -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        per_direction_loss(loss)


@pytest.mark.parametrize(
    ("delay", "jitter", "loss"), [(-1.0, 0.0, 0.0), (0.0, -1.0, 0.0), (0, 0, 100.0), (0, 0, -1.0)]
)
def test_spec_rejects_impossible_figures(delay: float, jitter: float, loss: float) -> None:
    with pytest.raises(ValueError, match="must"):
        ImpairSpec(delay, jitter, loss)


def test_spec_splits_round_trip_figures_per_direction() -> None:
    spec = ImpairSpec(delay_ms=80, jitter_ms=10, loss_pct=20)
    assert spec.one_way_delay == pytest.approx(0.040)
    assert spec.jitter_half_width == pytest.approx(0.005)
    assert spec.describe("c", "a") == (
        "impair_bridge: c<->a delay 80ms jitter 10ms loss 20% (per direction 10.56%)"
    )


def test_no_jitter_delays_every_frame_by_half_the_round_trip() -> None:
    direction = Direction("c->a", ImpairSpec(80, 0, 0), seed=1)
    for i in range(100):
        assert direction.offer(b"f%d" % i, now=i * 0.001) == pytest.approx(i * 0.001 + 0.040)


def _arrivals(count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    now, times = 0.0, []
    for _ in range(count):
        # Bursts and gaps: some arrivals much closer than the jitter, some much further apart.
        now += rng.choice([0.0, 0.0001, 0.001, 0.05])
        times.append(now)
    return times


def test_jitter_never_reorders_and_stays_within_bounds() -> None:
    spec = ImpairSpec(delay_ms=80, jitter_ms=40, loss_pct=0)
    direction = Direction("c->a", spec, seed=5)
    arrivals = _arrivals(5000, seed=6)
    dues = [direction.offer(i.to_bytes(4, "big"), t) for i, t in enumerate(arrivals)]
    assert all(due is not None for due in dues)
    sends = [due for due in dues if due is not None]
    assert sends == sorted(sends)
    previous = -math.inf
    for arrival, send in zip(arrivals, sends, strict=True):
        assert send >= arrival + 0.040 - 0.020 - 1e-9
        # Late only by the jitter, or because the frame ahead of it left later (no reordering).
        assert send <= max(arrival + 0.040 + 0.020 + 1e-9, previous)
        previous = send
    # The jitter really is used: offsets spread over most of the ±20 ms window.
    offsets = [send - arrival - 0.040 for arrival, send in zip(arrivals, sends, strict=True)]
    assert min(offsets) < -0.018
    assert max(offsets) > 0.018


def test_pop_due_releases_frames_in_order_and_only_when_due() -> None:
    spec = ImpairSpec(delay_ms=20, jitter_ms=20, loss_pct=0)
    direction = Direction("c->a", spec, seed=9)
    frames = [i.to_bytes(4, "big") for i in range(1000)]
    for i, frame in enumerate(frames):
        direction.offer(frame, now=i * 0.0005)
    out: list[bytes] = []
    now = 0.0
    while direction.pending and now < 10.0:
        head = direction.next_due()
        released = direction.pop_due(now)
        assert released == [] or (head is not None and head <= now)
        following = direction.next_due()
        assert following is None or following > now
        out += released
        now += 0.0007
    assert out == frames
    assert direction.next_due() is None


def test_full_queue_overflows_and_counts() -> None:
    direction = Direction("c->a", ImpairSpec(100, 0, 0), seed=1, capacity=3)
    results = [direction.offer(b"x", now=0.0) for _ in range(5)]
    assert [r is not None for r in results] == [True, True, True, False, False]
    assert (direction.pending, direction.overflow, direction.dropped) == (3, 2, 2)
    assert direction.pop_due(0.1) == [b"x"] * 3
    assert direction.offer(b"y", now=0.1) is not None


def _decisions(seed: int, spec: ImpairSpec, count: int = 10_000) -> list[bool]:
    direction = Direction("c->a", spec, seed=seed)
    return [direction.offer(b"", now=i * 1e-4) is not None for i in range(count)]


def test_seeded_loss_over_10000_frames_is_within_tolerance() -> None:
    spec = ImpairSpec(delay_ms=0, jitter_ms=0, loss_pct=20)
    passed = _decisions(seed=42, spec=spec)
    lost = passed.count(False) / len(passed)
    # Binomial sd for p=10.56 % over 10,000 is 0.31 %; 4 sd either side.
    assert abs(lost - spec.direction_loss) < 0.0125


def test_seeded_round_trip_loss_matches_the_configured_figure() -> None:
    spec = ImpairSpec(delay_ms=0, jitter_ms=0, loss_pct=20)
    there = _decisions(seed=7, spec=spec)
    back = _decisions(seed=8, spec=spec)
    round_trips = sum(a and b for a, b in zip(there, back, strict=True)) / len(there)
    assert abs((1 - round_trips) - 0.20) < 0.016  # 4 sd of a 20 % binomial over 10,000


def test_same_seed_same_decisions_whatever_the_jitter() -> None:
    plain = _decisions(seed=3, spec=ImpairSpec(0, 0, 30))
    jittered = _decisions(seed=3, spec=ImpairSpec(50, 30, 30))
    assert plain == jittered
    assert _decisions(seed=4, spec=ImpairSpec(0, 0, 30)) != plain


def test_zero_loss_never_drops() -> None:
    assert all(_decisions(seed=1, spec=ImpairSpec(0, 0, 0)))


def test_summary_names_every_counter() -> None:
    direction = Direction("c->a", ImpairSpec(0, 0, 0), seed=1)
    direction.forwarded, direction.lost, direction.send_errors = 7, 2, 1
    assert direction.summary() == (
        "c->a forwarded 7 dropped 3 (loss 2, overflow 0, send errors 1, pending 0)"
    )
