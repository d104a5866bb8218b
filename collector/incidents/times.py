"""Times of the incident record.

Alertmanager's times are RFC 3339 with up to nanoseconds; an alert is identified by its
fingerprint and ``startsAt``, so ``startsAt`` is kept exactly, as integer nanoseconds since the
epoch. Everything the record shows is RFC 3339 in UTC; incident ids and what people type on the
command line use Vietnam's time (UTC+7, no daylight saving).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")
NS = 1_000_000_000
# Bounds of a time the record accepts: 1970 up to 2200 (within int64 nanoseconds).
MIN_NS = 0
MAX_NS = calendar.timegm((2200, 1, 1, 0, 0, 0)) * NS

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$"
)
_LOCAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?)?$")
_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)(s|m|h|d)$")
_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class TimeFormatError(ValueError):
    """Not a time this module reads (the message says what was expected)."""


def _epoch(parts: tuple[int, int, int, int, int, int]) -> int:
    try:
        datetime(*parts)  # only a calendar check: month 13, day 31 of June
    except ValueError as exc:
        raise TimeFormatError(f"not a calendar date: {exc}") from None
    return calendar.timegm((*parts, 0, 0, 0))


def is_go_zero(text: str) -> bool:
    """Go's zero time (``0001-01-01T00:00:00Z``): Alertmanager's "no end" for a firing alert."""
    return text.startswith("0001-01-01T00:00:00")


def parse_ns(text: str) -> int:
    """An RFC 3339 time with a zone (``Z`` or ``+07:00``) as nanoseconds since the epoch."""
    m = _RFC3339.match(text)
    if m is None:
        raise TimeFormatError("not an RFC 3339 time with a zone, like 2026-11-22T22:50:33.805Z")
    fields = tuple(int(g) for g in m.groups()[:6])
    seconds = _epoch((fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]))
    fraction = int((m.group(7) or "").ljust(9, "0"))
    zone = m.group(8)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    ns = seconds * NS + fraction
    if not MIN_NS <= ns < MAX_NS:
        raise TimeFormatError("outside 1970-2200")
    return ns


def format_ns(ns: int) -> str:
    """Nanoseconds as RFC 3339 UTC, with as many fraction digits as it has (none if whole)."""
    seconds, fraction = divmod(ns, NS)
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{fraction:09d}".rstrip("0")
    return f"{text}.{digits}Z" if digits else f"{text}Z"


def format_s(t: float | None) -> str | None:
    """Unix seconds as RFC 3339 UTC to the millisecond (None stays None)."""
    if t is None:
        return None
    return format_ns(round(t * 1000) * 1_000_000)


def parse_s(text: str) -> float:
    """An RFC 3339 time with a zone as Unix seconds."""
    return parse_ns(text) / NS


def vietnam_day(t: float) -> str:
    """``YYYYMMDD`` of Unix time ``t`` in Vietnam (the date in an incident id)."""
    return datetime.fromtimestamp(t, VIETNAM).strftime("%Y%m%d")


def local_text(t: float | None) -> str:
    """Unix seconds as Vietnam time for people: ``2026-11-23 05:50:33 +07``."""
    if t is None:
        return "-"
    return datetime.fromtimestamp(t, VIETNAM).strftime("%Y-%m-%d %H:%M:%S +07")


def parse_user_time(text: str, now: float) -> float:
    """What an admin types: RFC 3339 with a zone, a Vietnam-time ``YYYY-MM-DD[ HH:MM[:SS]]``,
    ``now``, or an offset from now (``+2h``, ``-30m``, ``+1d``); Unix seconds."""
    text = text.strip()
    if text == "now":
        return now
    rel = _RELATIVE.match(text)
    if rel:
        delta = float(rel.group(2)) * _UNIT[rel.group(3)]
        return now + delta if rel.group(1) == "+" else now - delta
    if _RFC3339.match(text):
        return parse_s(text)
    m = _LOCAL.match(text)
    if m is None:
        raise TimeFormatError(
            f"{text!r} is not a time: use 2026-11-23T22:00:00+07:00, '2026-11-23 22:00' "
            "(Vietnam time), now, or +2h"
        )
    parts = [int(g) if g else 0 for g in m.groups()]
    return float(_epoch((parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])) - 7 * 3600)
