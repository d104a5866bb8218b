"""Maintenance windows left out of the availability: ``--exclude FROM/TO`` (the whole network)
and the collector's windows (one site, link or device each)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from netwarden.errors import NetwardenError, UsageError
from netwarden.reports.window import Window, parse_time, rfc3339

Scope = Literal["all", "site", "link", "device"]


@dataclass(frozen=True)
class Exclusion:
    """``[start, end)`` in unix seconds, for everything (``all``) or one site, link or device."""

    start: int
    end: int
    scope: Scope = "all"
    target: str = ""
    reason: str = ""
    source: str = "--exclude"

    def to_json(self) -> dict[str, Any]:
        return {
            "from": rfc3339(self.start),
            "to": rfc3339(self.end),
            "scope": self.scope,
            "target": self.target or None,
            "reason": self.reason,
            "source": self.source,
        }


def parse_exclude(text: str) -> Exclusion:
    """``FROM/TO``, both RFC 3339 (a time without an offset is Vietnam time)."""
    first, sep, second = text.partition("/")
    if not sep:
        raise UsageError(f"--exclude must be FROM/TO, got {text!r}")
    start, end = parse_time(first, "--exclude"), parse_time(second, "--exclude")
    if end <= start:
        raise UsageError(f"--exclude {text}: the end is not after the start")
    return Exclusion(start, end)


def from_collector(answer: Any) -> list[Exclusion]:
    """The collector's ``{"windows": [...]}`` (GET /api/v1/maintenance) as exclusions."""
    windows = answer.get("windows") if isinstance(answer, dict) else None
    if not isinstance(windows, list):
        raise NetwardenError("the collector's maintenance answer has no list of windows")
    return [_window(item, n) for n, item in enumerate(windows)]


def _window(item: Any, n: int) -> Exclusion:
    if not isinstance(item, dict):
        raise NetwardenError(f"maintenance window {n} from the collector is not an object")
    name = f"maintenance window {item.get('id', n)}"
    scopes = [key for key in ("site", "link", "device") if item.get(key)]
    if len(scopes) != 1:
        raise NetwardenError(f"{name}: exactly one of site, link, device must be set")
    scope: Scope = scopes[0]  # type: ignore[assignment]  # one of the three keys above
    try:
        start, end = parse_time(str(item["from"]), name), parse_time(str(item["to"]), name)
    except KeyError as exc:
        raise NetwardenError(f"{name}: no {exc.args[0]!r} time") from None
    except UsageError as exc:  # the collector's data, not the user's command line
        raise NetwardenError(str(exc)) from None
    if end <= start:
        raise NetwardenError(f"{name}: the end is not after the start")
    return Exclusion(
        start,
        end,
        scope,
        str(item[scope]),
        str(item.get("reason") or ""),
        f"collector #{item.get('id', n)}",
    )


def clip(exclusions: Iterable[Exclusion], window: Window) -> list[Exclusion]:
    """The exclusions that overlap the window, in time order."""
    inside = [e for e in exclusions if e.start < window.end and e.end > window.start]
    return sorted(inside, key=lambda e: (e.start, e.end, e.scope, e.target))


def excluded_steps(intervals: Iterable[tuple[int, int]], window: Window) -> int:
    """How many of the window's step instants fall in the union of ``intervals``
    (``[start, end)`` each): the same instants the queries mask out."""
    count, covered_until = 0, window.start
    for start, end in sorted(intervals):
        first = max(_ceil(start, window.step), _ceil(covered_until, window.step), window.start)
        stop = min(_ceil(end, window.step), window.end)
        if stop > first:
            count += (stop - first) // window.step
            covered_until = stop
    return count


def _ceil(at: int, step: int) -> int:
    return -(-at // step) * step
