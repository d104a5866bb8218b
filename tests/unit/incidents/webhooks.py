"""Alertmanager webhook bodies for tests: alerts with the fields Alertmanager 0.25 sends."""

from __future__ import annotations

import hashlib
from typing import Any

from netwarden.collector.incidents.payload import Webhook, parse_webhook
from netwarden.collector.incidents.times import format_s

BASE = 1_795_387_833.0  # 2026-11-22T22:50:33Z


def at(offset: float) -> str:
    """RFC 3339 of BASE + offset seconds."""
    text = format_s(BASE + offset)
    assert text is not None
    return text


def alert(
    name: str = "LinkDown",
    *,
    status: str = "firing",
    starts: float = 0.0,
    ends: float | None = None,
    severity: str = "critical",
    summary: str | None = None,
    **labels: str,
) -> dict[str, Any]:
    """One alert; its fingerprint is derived from its labels, as Alertmanager's is."""
    every = {"alertname": name, "severity": severity, **labels}
    fingerprint = hashlib.sha256(repr(sorted(every.items())).encode()).hexdigest()[:16]
    return {
        "status": status,
        "labels": every,
        "annotations": {"summary": summary or f"{name} {labels}"},
        "startsAt": at(starts),
        "endsAt": at(ends) if ends is not None else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": fingerprint,
    }


def body(*alerts: dict[str, Any], truncated: int = 0) -> dict[str, Any]:
    """A version-4 webhook body holding ``alerts``."""
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "receiver": "collector",
        "status": "firing" if firing else "resolved",
        "alerts": list(alerts),
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": '{}:{alertname="LinkDown"}',
        "truncatedAlerts": truncated,
    }


def hook(*alerts: dict[str, Any], truncated: int = 0) -> Webhook:
    """The decoded webhook of ``body(...)``."""
    return parse_webhook(body(*alerts, truncated=truncated))


def resolved(fired: dict[str, Any], ends: float) -> dict[str, Any]:
    """The same alert, resolved at BASE + ends."""
    return {**fired, "status": "resolved", "endsAt": at(ends)}
