"""RFC 6587 framing split from arbitrary chunks: the same frames whatever the chunking."""

from __future__ import annotations

import pytest

from netwarden.agent.events.tcp_framing import FrameError, Framer

STREAM = (
    b"11 <13>counted"
    + b"<14>a line\n"
    + b"0 "
    + b"x" * 40
    + b"\n"  # an oversized line (max 16)
    + b"30 "
    + b"y" * 30  # an oversized counted frame
    + b"<15>after\r\n"
    + b"5 <13>x"
)
WANT = [b"<13>counted", b"<14>a line\n", b"", b"<15>after\r\n", b"<13>x"]


def _split(stream: bytes, size: int) -> tuple[list[bytes], int]:
    framer, frames, oversized = Framer(16), [], 0
    for at in range(0, len(stream), size):
        got, skipped = framer.feed(stream[at : at + size])
        frames += got
        oversized += skipped
    return frames, oversized


@pytest.mark.parametrize("size", [1, 2, 3, 7, 16, 1000])
def test_frames_do_not_depend_on_the_chunks(size: int) -> None:
    assert _split(STREAM, size) == (WANT, 2)


def test_a_frame_bound_line_is_kept_and_one_longer_is_skipped_at_once() -> None:
    framer = Framer(16)
    assert framer.feed(b"a" * 17 + b"\n") == ([b"a" * 17 + b"\n"], 0)  # 16 + CR LF allowed
    assert framer.feed(b"b" * 18) == ([], 1)  # counted before its end arrives
    assert framer.feed(b"b" * 100_000) == ([], 0)  # and never held
    assert len(framer._buf) == 0
    assert framer.feed(b"\n<13>next\n") == ([b"<13>next\n"], 0)


@pytest.mark.parametrize("stream", [b"123456789 x", b"12a x"])
def test_an_octet_count_that_is_not_one_is_a_bad_frame(stream: bytes) -> None:
    with pytest.raises(FrameError) as caught:
        Framer(16).feed(stream)
    assert caught.value.reason == "bad-frame"
