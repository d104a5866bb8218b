"""The time a report covers: a Vietnam-time month, or any window, cut into equal steps.

Vietnam keeps UTC+7 all year (no daylight saving since 1975), so a fixed offset is exact and
needs no time-zone database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from netwarden.errors import UsageError

VIETNAM = timezone(timedelta(hours=7), "ICT")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in unix seconds, both multiples of ``step``; ``label`` names it."""

    start: int
    end: int
    step: int
    label: str
    partial: bool = False  # the month is not over: cut at the last whole step before now

    @property
    def steps(self) -> int:
        return (self.end - self.start) // self.step

    def local(self, at: int) -> datetime:
        return datetime.fromtimestamp(at, VIETNAM)


def parse_time(text: str, flag: str) -> int:
    """RFC 3339 (``2025-06-10T22:00:00+07:00``, ``...Z``) as unix seconds. A time without an
    offset is Vietnam time, as people at the province write it."""
    try:
        when = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not a time like 2025-06-10T22:00:00+07:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=VIETNAM)
    return int(when.timestamp())


def parse_step(text: str) -> int:
    """``60s``, ``5m``, ``1h`` as whole seconds (at least 1 s)."""
    match = re.fullmatch(r"(\d+)([smh])", text.strip())
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"--step must be a duration like 60s, 5m or 1h, got {text!r}")
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]


def month_window(month: str, step: int, now: float) -> Window:
    """The Vietnam-time month ``YYYY-MM``; a month not over yet ends at the last whole step."""
    match = _MONTH.fullmatch(month.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"--month must be YYYY-MM, got {month!r}")
    year, number = int(match.group(1)), int(match.group(2))
    first = datetime(year, number, 1, tzinfo=VIETNAM)
    following = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=VIETNAM)
    return _window(int(first.timestamp()), int(following.timestamp()), step, month, now)


def explicit_window(start: int, end: int, step: int, now: float) -> Window:
    """``--from``/``--to``: rounded inwards to whole steps."""
    first, last = -(-start // step) * step, end // step * step
    return _window(first, last, step, f"{rfc3339(first)}/{rfc3339(last)}", now)


def _window(start: int, end: int, step: int, label: str, now: float) -> Window:
    if start % step or end % step:
        # Whole hours are multiples of any step that divides an hour; others are not.
        raise UsageError(f"--step {step}s does not divide the window into whole steps")
    if start >= now:
        raise UsageError(f"{label} has not started yet")
    partial = end > now
    if partial:
        end = int(now) // step * step
    if end - start < 2 * step:
        raise UsageError(f"{label}: the window must span at least two steps of {step}s")
    return Window(start, end, step, label, partial)


def rfc3339(at: int) -> str:
    """Unix seconds as RFC 3339 in Vietnam time (what the report prints)."""
    return datetime.fromtimestamp(at, VIETNAM).isoformat()
