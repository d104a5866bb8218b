"""The retry and split policy, per status class, against the in-repo fake receiver."""

from __future__ import annotations

import math
from collections.abc import Callable

from netwarden.agent.metrics.family import encode_labels
from netwarden.agent.push.encode import Rows, SeriesEncoder
from netwarden.agent.push.fake import FakeReceiver, Got
from netwarden.agent.push.sender import Answer, Verdict, deliver
from tests.unit.agent.sync.conftest import run_async

TS = 1_700_000_000_000


def batch(n: int) -> bytes:
    rows = [
        Rows("m", [encode_labels((("i", str(i)),)) for i in range(n)], [float(i) for i in range(n)])
    ]
    return SeriesEncoder("a", "s").encode(rows, TS)[0]


def bad(*indexes: int) -> Callable[[Got], bool]:
    wanted = {str(i) for i in indexes}
    return lambda got: dict(got.labels)["i"] in wanted


@run_async
async def test_2xx_acknowledges_everything_in_one_request() -> None:
    receiver = FakeReceiver()
    done = await deliver(receiver.post, batch(100), 100)
    assert (done.verdict, done.accepted, done.refused) == (Verdict.delivered, 100, 0)
    assert receiver.requests == 1 and len(receiver.samples) == 100


@run_async
async def test_5xx_429_and_no_answer_keep_the_batch_for_a_retry() -> None:
    for answer in (Answer(500, "boom"), Answer(503, "", 7.0), Answer(429, "slow down", 2.0),
                   Answer(None, "cannot reach")):  # fmt: skip
        receiver = FakeReceiver(script=[answer])
        done = await deliver(receiver.post, batch(10), 10)
        assert done.verdict is Verdict.retry and done.accepted == 0 and done.last == answer
        assert receiver.requests == 1 and not receiver.samples
        again = await deliver(receiver.post, batch(10), 10)  # the same batch, next round
        assert again.verdict is Verdict.delivered and len(receiver.samples) == 10


@run_async
async def test_other_4xx_is_not_dropped_but_retried() -> None:
    for status in (401, 403, 404):
        receiver = FakeReceiver(script=[Answer(status, "no")])
        done = await deliver(receiver.post, batch(10), 10)
        assert done.verdict is Verdict.retry and done.requests == {"error": 1}


@run_async
async def test_400_isolates_the_refused_sample_and_delivers_its_neighbours() -> None:
    receiver = FakeReceiver(refuse=bad(37))  # Prometheus: one bad sample, whole request refused
    done = await deliver(receiver.post, batch(1000), 1000)
    assert (done.verdict, done.accepted, done.refused) == (Verdict.delivered, 999, 1)
    assert sorted(int(dict(g.labels)["i"]) for g in receiver.samples) == [
        i for i in range(1000) if i != 37
    ]
    # Halving: about two requests per level of a 1,000-sample batch.
    assert receiver.requests <= 2 * math.ceil(math.log2(1000)) + 1
    assert done.requests["split"] == math.ceil(math.log2(1000)) + 1


@run_async
async def test_several_refused_samples_and_a_413() -> None:
    receiver = FakeReceiver(script=[Answer(413, "too large")], refuse=bad(0, 500, 999))
    done = await deliver(receiver.post, batch(1000), 1000)
    assert (done.accepted, done.refused) == (997, 3)
    assert len(receiver.samples) == 997


@run_async
async def test_a_5xx_in_the_middle_of_a_split_retries_the_rest_later() -> None:
    receiver = FakeReceiver(script=[Answer(400, "bad"), Answer(204), Answer(502, "gateway")])
    done = await deliver(receiver.post, batch(8), 8)
    assert done.verdict is Verdict.retry and done.accepted == 4
    assert done.last == Answer(502, "gateway")


@run_async
async def test_a_receiver_refusing_everything_is_bounded_in_requests() -> None:
    receiver = FakeReceiver(refuse=lambda got: True)
    done = await deliver(receiver.post, batch(64), 64, max_requests=40)
    assert done.verdict is Verdict.retry and receiver.requests == 40


def test_fake_receiver_names_samples() -> None:
    assert Got((("__name__", "x"), ("a", "b")), 1, 2.0).name == "x"
