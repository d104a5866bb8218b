"""Lifecycle rules, severities, retention bounds, maintenance coverage and silence matchers."""

from __future__ import annotations

import pytest

from netwarden.collector.incidents import lifecycle, severity
from netwarden.collector.incidents.errors import IncidentStateError
from netwarden.collector.incidents.lifecycle import AlertEffect, effect, reopens
from netwarden.collector.incidents.maintenance import Matcher, Window, silence_matchers
from netwarden.collector.incidents.retention import parse_retention
from netwarden.collector.incidents.times import parse_s
from netwarden.collector.incidents.topology import Scope
from netwarden.errors import UsageError


def test_what_an_alert_does() -> None:
    assert effect(None, "firing") is AlertEffect.NEW
    assert effect(None, "resolved") is AlertEffect.NEW  # a short outage seen only resolved
    assert effect("firing", "firing") is AlertEffect.DUPLICATE  # repeat_interval
    assert effect("firing", "resolved") is AlertEffect.RESOLVES
    assert effect("resolved", "resolved") is AlertEffect.DUPLICATE
    assert effect("resolved", "firing") is AlertEffect.DUPLICATE  # a late retry


def test_reopen_window_is_thirty_minutes() -> None:
    assert reopens(1000.0, 1000.0 + 1800)
    assert not reopens(1000.0, 1000.0 + 1800.5)
    assert reopens(1000.0, 900.0)  # started before the resolution (late delivery)
    assert not reopens(None, 1000.0)


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("acknowledge", "resolved", "cannot acknowledge INC-1: it is resolved"),
        ("resolve", "resolved", "cannot resolve INC-1: it is resolved$"),
        ("close", "open", "resolve it first"),
        ("close", "closed", "resolve it first"),
        ("note", "closed", "a closed incident's record is final"),
        ("evidence", "closed", "a closed incident's record is final"),
    ],
)
def test_refused_transitions_say_why(action: str, status: str, message: str) -> None:
    with pytest.raises(IncidentStateError, match=message) as info:
        lifecycle.check(action, "INC-1", status)
    assert info.value.status == 409


def test_severities_rank() -> None:
    assert severity.normalise("CRITICAL") == "critical"
    assert severity.normalise("page") == "critical"
    assert severity.normalise("minor") == "warning"
    assert severity.normalise("") == severity.normalise("bogus") == "info"
    assert severity.highest("warning", "critical") == "critical"
    assert severity.highest("major", "info") == "major"


def test_retention_bounds() -> None:
    now = parse_s("2026-03-31T10:00:00Z")
    assert parse_retention("12mo").cutoff(now) == parse_s("2025-03-31T10:00:00Z")
    # 31 March minus one month is the last day of February.
    assert parse_retention("1mo").cutoff(now) == parse_s("2026-02-28T10:00:00Z")
    assert parse_retention("400d").cutoff(now) == now - 400 * 86400
    assert parse_retention("9000h").cutoff(now) == now - 9000 * 3600
    assert str(parse_retention("12mo")) == "12mo"
    for bad in ("0mo", "12", "1y", "-1d", ""):
        with pytest.raises(UsageError, match="--incident-retention must be like 12mo"):
            parse_retention(bad)


def _window(**target: str) -> Window:
    return Window(1, target.get("site"), target.get("link"), target.get("device"),
                  100.0, 200.0, "thay thiết bị", "user:lan", 50.0)  # fmt: skip


def test_windows_cover_their_target_inside_their_time() -> None:
    scope = Scope(frozenset({"so-tc"}), frozenset({"sw-so-tc"}), frozenset({"tsl-so-tc"}))
    assert _window(site="so-tc").covers(scope, 100.0)
    assert not _window(site="so-tc").covers(scope, 200.0)  # the end is outside
    assert not _window(site="so-tc").covers(scope, 99.9)
    assert _window(device="sw-so-tc").covers(scope, 150.0)
    assert _window(link="tsl-so-tc").covers(scope, 150.0)
    assert not _window(site="so-yt").covers(scope, 150.0)
    shown = _window(link="tsl-so-tc").as_json()
    assert list(shown) == ["id", "site", "link", "device", "from", "to", "reason", "created_by",
                           "created_at"]  # fmt: skip
    assert shown["from"] == "1970-01-01T00:01:40Z" and shown["site"] is None


def test_silence_matchers_per_target() -> None:
    assert silence_matchers("so-tc", None, None) == [
        [Matcher("site", "so-tc")], [Matcher("incident", "group/so-tc")]]  # fmt: skip
    assert silence_matchers(None, "tsl-a", None) == [
        [Matcher("link", "tsl-a")], [Matcher("incident", "link/tsl-a")]]  # fmt: skip
    assert silence_matchers(None, None, "sw") == [
        [Matcher("device", "sw")], [Matcher("incident", "device/sw")]]  # fmt: skip
