"""RFC 3339 in and out (exact nanoseconds), Vietnam dates, what admins type."""

from __future__ import annotations

import pytest

from netwarden.collector.incidents.times import (
    TimeFormatError,
    format_ns,
    format_s,
    is_go_zero,
    local_text,
    parse_ns,
    parse_user_time,
    vietnam_day,
)


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("2026-11-22T22:50:33.805Z", 1795387833_805000000),
        ("2026-11-22T22:50:33.805123456Z", 1795387833_805123456),
        ("2026-11-23T05:50:33.805+07:00", 1795387833_805000000),
        ("2026-11-22T22:50:33Z", 1795387833_000000000),
        ("2026-11-22t22:50:33z", 1795387833_000000000),
        ("1970-01-01T00:00:00Z", 0),
    ],
)
def test_parse_is_exact_to_the_nanosecond(text: str, ns: int) -> None:
    assert parse_ns(text) == ns


def test_format_round_trips_and_drops_trailing_zeros() -> None:
    for text in (
        "2026-11-22T22:50:33.805123456Z",
        "2026-11-22T22:50:33.8Z",
        "2026-11-22T22:50:33Z",
    ):
        assert format_ns(parse_ns(text)) == text
    assert format_s(1795387833.8051) == "2026-11-22T22:50:33.805Z"
    assert format_s(None) is None


@pytest.mark.parametrize(
    "text",
    ["", "yesterday", "2026-11-22", "2026-11-22T22:50:33", "2026-13-01T00:00:00Z",
     "2026-02-30T00:00:00Z", "2026-11-22T22:50:33.1234567890Z", "1969-12-31T23:59:59Z",
     "2300-01-01T00:00:00Z", "0001-01-01T00:00:00Z"],
)  # fmt: skip
def test_unparsable_or_out_of_range_times_are_refused(text: str) -> None:
    with pytest.raises(TimeFormatError):
        parse_ns(text)


def test_go_zero_time_and_vietnam_dates() -> None:
    assert is_go_zero("0001-01-01T00:00:00Z")
    assert not is_go_zero("2026-11-22T22:50:33Z")
    # 22:50 UTC on the 22nd is 05:50 on the 23rd in Vietnam.
    t = parse_ns("2026-11-22T22:50:33Z") / 1e9
    assert vietnam_day(t) == "20261123"
    assert local_text(t) == "2026-11-23 05:50:33 +07"


def test_user_times_are_vietnam_time_or_relative() -> None:
    now = 1_800_000_000.0
    assert parse_user_time("now", now) == now
    assert parse_user_time("+2h", now) == now + 7200
    assert parse_user_time("-30m", now) == now - 1800
    assert parse_user_time("+1d", now) == now + 86400
    assert parse_user_time("2026-11-23 05:50", now) == parse_ns("2026-11-22T22:50:00Z") / 1e9
    assert parse_user_time("2026-11-23", now) == parse_ns("2026-11-22T17:00:00Z") / 1e9
    assert parse_user_time("2026-11-22T22:50:00Z", now) == parse_ns("2026-11-22T22:50:00Z") / 1e9
    with pytest.raises(TimeFormatError, match="Vietnam time"):
        parse_user_time("tomorrow", now)
