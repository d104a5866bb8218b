"""Alertmanager's webhook body decoded strictly: the real sample, and a corpus of bad bodies
each with its reason (the metric label) and message."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from netwarden.collector.incidents.errors import PayloadError
from netwarden.collector.incidents.payload import parse_webhook

SAMPLE = Path(__file__).parents[2] / "data" / "incidents" / "alertmanager-webhook-v4.json"


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


def test_the_real_sample_decodes() -> None:
    hook = parse_webhook(sample())
    assert hook.truncated == 0
    assert hook.group_key.startswith("{}:{alertname=")
    first = hook.alerts[0]
    assert first.fingerprint == "eb6c65b95977ef85"
    assert first.status == "firing"
    assert first.starts_ns == 1795387833_805000000
    assert first.ends_ns is None  # Go's zero time: no end
    assert first.labels["device"] == "lan2-rtr"
    assert first.annotations["summary"].startswith("lan2-rtr lan0")
    assert first.alertname == "InterfaceOperDown" and first.severity == "warning"


def _with(path: str, value: Any) -> dict[str, Any]:
    data = sample()
    target: Any = data
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


BAD: list[tuple[Any, str, str]] = [
    ([], "not_object", "must be a JSON object"),
    ("text", "not_object", "must be a JSON object"),
    (_with("version", KeyError), "bad_version", "no version"),
    (_with("version", "3"), "bad_version", "payload version '3' is not supported (need '4')"),
    (_with("version", 4), "bad_version", "payload version '4' is not supported"),
    (_with("alerts", KeyError), "no_alerts", "no alerts list"),
    (_with("alerts", {"a": 1}), "no_alerts", "no alerts list"),
    (_with("alerts.0", "x"), "bad_alert", "alerts[0] must be an object"),
    (_with("alerts.1.fingerprint", KeyError), "bad_alert", "alerts[1]: no fingerprint"),
    (_with("alerts.0.fingerprint", ""), "bad_alert", "alerts[0].fingerprint must be 1-64"),
    (_with("alerts.0.fingerprint", "f" * 65), "bad_alert", "alerts[0].fingerprint must be 1-64"),
    (_with("alerts.0.fingerprint", 12), "bad_alert", "alerts[0].fingerprint must be 1-64"),
    (_with("alerts.0.status", KeyError), "bad_alert", "alerts[0]: no status"),
    (_with("alerts.0.status", "pending"), "bad_alert", "must be firing or resolved"),
    (_with("alerts.0.startsAt", KeyError), "bad_alert", "alerts[0]: no startsAt"),
    (_with("alerts.0.startsAt", "yesterday"), "bad_time", "startsAt 'yesterday': not an RFC 3339"),
    (_with("alerts.0.startsAt", 1795387833), "bad_time", "alerts[0].startsAt must be an RFC 3339"),
    (_with("alerts.0.endsAt", "2026-11-31T00:00:00Z"), "bad_time", "endsAt '2026-11-31T00:00"),
    (_with("alerts.0.labels", ["a"]), "bad_alert", "alerts[0].labels must be an object of strings"),
    (_with("alerts.0.labels.device", 7), "bad_alert", "alerts[0].labels.device must be a string"),
    (_with("alerts.0.annotations.summary", "a\x00b"), "bad_alert", "holds NUL"),
    (_with("alerts.0.labels.device", "x" * 4097), "bad_alert", "is over 4096 characters"),
    (_with("alerts.0.generatorURL", 5), "bad_alert", "generatorURL must be a string"),
    (_with("truncatedAlerts", -1), "bad_shape", "truncatedAlerts must be a whole number"),
    (_with("truncatedAlerts", True), "bad_shape", "truncatedAlerts must be a whole number"),
    (_with("truncatedAlerts", "2"), "bad_shape", "truncatedAlerts must be a whole number"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "reason", "message"), BAD)
def test_bad_bodies_are_refused_with_reason_and_message(
    body: Any, reason: str, message: str
) -> None:
    with pytest.raises(PayloadError) as info:
        parse_webhook(copy.deepcopy(body))
    assert info.value.reason == reason
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_optional_parts_may_be_missing() -> None:
    data = sample()
    for alert in data["alerts"]:
        for key in ("labels", "annotations", "endsAt", "generatorURL"):
            alert.pop(key)
    data.pop("truncatedAlerts")
    hook = parse_webhook(data)
    assert hook.alerts[0].labels == {} and hook.alerts[0].alertname == "unnamed"
    assert hook.truncated == 0


def test_a_resolved_alert_keeps_its_end() -> None:
    data = _with("alerts.0.status", "resolved")
    data["alerts"][0]["endsAt"] = "2026-11-22T22:55:00.5Z"
    assert parse_webhook(data).alerts[0].ends_ns == 1795388100_500000000
