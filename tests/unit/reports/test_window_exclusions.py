"""The report's window (a Vietnam-time month, or --from/--to), its exclusions and the outages
paired from Prometheus' edges: pure logic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from netwarden.errors import NetwardenError, UsageError
from netwarden.reports.availability import Outage, pair_edges
from netwarden.reports.exclusions import (
    Exclusion,
    clip,
    excluded_steps,
    from_collector,
    parse_exclude,
)
from netwarden.reports.window import (
    Window,
    explicit_window,
    month_window,
    parse_step,
    parse_time,
    rfc3339,
)


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


LATER = utc(2030, 1, 1)


def test_a_month_is_a_vietnam_time_month() -> None:
    window = month_window("2025-06", 60, LATER)
    assert window.start == utc(2025, 5, 31, 17)  # 1 June 00:00 in Hà Nội
    assert window.end == utc(2025, 6, 30, 17)
    assert window.steps == 30 * 24 * 60
    assert not window.partial
    assert rfc3339(window.start) == "2025-06-01T00:00:00+07:00"
    december = month_window("2024-12", 300, LATER)
    assert rfc3339(december.end) == "2025-01-01T00:00:00+07:00"
    assert month_window("2024-02", 3600, LATER).steps == 29 * 24  # leap year


def test_the_current_month_stops_at_the_last_whole_step() -> None:
    now = utc(2025, 6, 10, 12, 34, 56)
    window = month_window("2025-06", 60, now)
    assert window.partial
    assert window.end == utc(2025, 6, 10, 12, 34)


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2025-13", "--month must be YYYY-MM, got '2025-13'"),
        ("June", "--month must be YYYY-MM, got 'June'"),
        ("2031-01", "2031-01 has not started yet"),
    ],
)
def test_a_bad_month_is_one_usage_line(month: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        month_window(month, 60, LATER)
    assert str(err.value) == message


def test_from_to_are_rounded_inwards_to_whole_steps() -> None:
    start = parse_time("2025-06-10T22:00:30+07:00", "--from")
    end = parse_time("2025-06-10T23:59:59Z", "--to")
    window = explicit_window(start, end, 60, LATER)
    assert window.start == utc(2025, 6, 10, 15, 1)
    assert window.end == utc(2025, 6, 10, 23, 59)
    assert parse_time("2025-06-10T22:00", "--from") == utc(2025, 6, 10, 15)  # Vietnam time
    with pytest.raises(UsageError, match="at least two steps"):
        explicit_window(start, start + 90, 60, LATER)
    with pytest.raises(UsageError, match=r"--from: 'yesterday' is not a time like"):
        parse_time("yesterday", "--from")


@pytest.mark.parametrize(("text", "seconds"), [("60s", 60), ("5m", 300), ("1h", 3600)])
def test_step(text: str, seconds: int) -> None:
    assert parse_step(text) == seconds


@pytest.mark.parametrize("text", ["0s", "1.5m", "60", "-1m"])
def test_bad_step(text: str) -> None:
    with pytest.raises(UsageError, match="--step must be a duration"):
        parse_step(text)


def test_exclude_option() -> None:
    got = parse_exclude("2025-06-10T22:00:00+07:00/2025-06-11T02:00:00+07:00")
    assert (got.start, got.end, got.scope) == (utc(2025, 6, 10, 15), utc(2025, 6, 10, 19), "all")
    with pytest.raises(UsageError, match="--exclude must be FROM/TO"):
        parse_exclude("2025-06-10T22:00:00+07:00")
    with pytest.raises(UsageError, match="the end is not after the start"):
        parse_exclude("2025-06-11T00:00/2025-06-10T00:00")


def test_collector_windows_parse_by_the_contract() -> None:
    answer = {
        "windows": [
            {
                "id": 7,
                "site": None,
                "link": "tsl-so-tc",
                "device": None,
                "from": "2025-06-10T15:00:00Z",
                "to": "2025-06-10T19:00:00Z",
                "reason": "thay cáp",
                "created_by": "lan",
                "created_at": "2025-06-01T00:00:00Z",
            },
            {
                "id": 8,
                "site": "so-khcn",
                "from": "2025-06-12T00:00:00Z",
                "to": "2025-06-12T01:00:00Z",
                "reason": "",
            },
        ]
    }
    got = from_collector(answer)
    assert got[0] == Exclusion(
        utc(2025, 6, 10, 15), utc(2025, 6, 10, 19), "link", "tsl-so-tc", "thay cáp", "collector #7"
    )
    assert (got[1].scope, got[1].target) == ("site", "so-khcn")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({}, "the collector's maintenance answer has no list of windows"),
        ({"windows": [1]}, "maintenance window 0 from the collector is not an object"),
        (
            {"windows": [{"id": 3, "site": "a", "link": "b", "from": "x", "to": "y"}]},
            "maintenance window 3: exactly one of site, link, device must be set",
        ),
        (
            {"windows": [{"id": 3, "device": "d", "to": "2025-06-12T01:00:00Z"}]},
            "maintenance window 3: no 'from' time",
        ),
        (
            {"windows": [{"id": 3, "device": "d", "from": "soon", "to": "later"}]},
            "maintenance window 3: 'soon' is not a time like 2025-06-10T22:00:00+07:00",
        ),
        (
            {
                "windows": [
                    {
                        "id": 3,
                        "device": "d",
                        "from": "2025-06-12T01:00:00Z",
                        "to": "2025-06-12T01:00:00Z",
                    }
                ]
            },
            "maintenance window 3: the end is not after the start",
        ),
    ],
)
def test_a_bad_collector_answer_is_one_line(answer: object, message: str) -> None:
    with pytest.raises(NetwardenError) as err:
        from_collector(answer)
    assert not isinstance(err.value, UsageError)  # the collector's fault, not the user's
    assert str(err.value) == message


WINDOW = Window(start=1000 * 60, end=1100 * 60, step=60, label="t")


def test_excluded_steps_count_the_union_of_windows_inside_the_report() -> None:
    m = 60
    assert excluded_steps([], WINDOW) == 0
    assert excluded_steps([(1010 * m, 1020 * m)], WINDOW) == 10
    assert excluded_steps([(1010 * m, 1020 * m), (1015 * m, 1025 * m)], WINDOW) == 15  # overlap
    assert excluded_steps([(900 * m, 1005 * m), (1095 * m, 1200 * m)], WINDOW) == 10  # edges
    assert excluded_steps([(1010 * m + 1, 1011 * m)], WINDOW) == 0  # no step instant inside
    assert excluded_steps([(1010 * m + 1, 1012 * m + 1)], WINDOW) == 2


def test_clip_keeps_overlapping_exclusions_in_time_order() -> None:
    inside = Exclusion(1050 * 60, 1060 * 60)
    before = Exclusion(0, 1000 * 60)  # ends where the report starts: no overlap
    across = Exclusion(1090 * 60, 1200 * 60, "link", "x")
    assert clip([across, before, inside], WINDOW) == [inside, across]


def test_outages_from_edges() -> None:
    w = WINDOW
    assert pair_edges([], [], w) == []
    # One outage inside, one under way at the start, one running past the end.
    got = pair_edges([1010 * 60, 1090 * 60], [1005 * 60, 1020 * 60], w)
    assert got == [
        Outage(w.start, 1005 * 60),
        Outage(1010 * 60, 1020 * 60),
        Outage(1090 * 60, w.end),
    ]
    # Down just before the window and up at its first step: nothing inside.
    assert pair_edges([], [w.start], w) == []
    assert pair_edges([1010 * 60], [], w) == [Outage(1010 * 60, w.end)]
