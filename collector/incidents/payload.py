"""Alertmanager's webhook body (payload version 4), decoded strictly into plain values.

Everything is checked before anything is stored, so a bad alert anywhere in a group refuses the
whole request: Alertmanager then retries it, and the store never holds half a group. Error
messages name the alert and field; ``PayloadError.reason`` is a small fixed set for the
``netwarden_alert_webhook_rejected_total{reason}`` metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from netwarden.collector.incidents.errors import PayloadError
from netwarden.collector.incidents.times import TimeFormatError, is_go_zero, parse_ns

AlertStatus = Literal["firing", "resolved"]
VERSION = "4"
FINGERPRINT_MAX = 64
LABEL_NAME_MAX = 255
LABEL_VALUE_MAX = 4096
ANNOTATION_MAX = 16384
LABELS_MAX = 128  # labels (and annotations) per alert


@dataclass(frozen=True, slots=True)
class AlertIn:
    """One alert of a webhook, validated. ``ends_ns`` is None unless it has an end."""

    fingerprint: str
    status: AlertStatus
    starts_ns: int
    ends_ns: int | None
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str | None

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "unnamed")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")


@dataclass(frozen=True, slots=True)
class Webhook:
    """A whole webhook body: its alerts in order, and how many Alertmanager left out."""

    receiver: str
    group_key: str
    truncated: int
    alerts: tuple[AlertIn, ...]


def _printable(value: str) -> bool:
    return not any(ord(c) < 32 or ord(c) == 127 for c in value)


def _text_map(where: str, value: Any, limit: int) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError("bad_alert", f"{where} must be an object of strings")
    if len(value) > LABELS_MAX:
        raise PayloadError("bad_alert", f"{where} has more than {LABELS_MAX} entries")
    for name, text in value.items():
        if not isinstance(text, str):
            raise PayloadError("bad_alert", f"{where}.{name[:60]} must be a string")
        if not name or len(name) > LABEL_NAME_MAX or not _printable(name):
            raise PayloadError("bad_alert", f"{where} has a name that is empty, too long or binary")
        if len(text) > limit or "\x00" in text:
            raise PayloadError(
                "bad_alert", f"{where}.{name[:60]} is over {limit} characters or holds NUL"
            )
    return dict(value)


def _time(where: str, value: Any) -> int:
    if not isinstance(value, str):
        raise PayloadError("bad_time", f"{where} must be an RFC 3339 time string")
    try:
        return parse_ns(value)
    except TimeFormatError as exc:
        raise PayloadError("bad_time", f"{where} {value[:40]!r}: {exc}") from None


def _end(where: str, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and is_go_zero(value)):
        return None
    return _time(where, value)


def _fingerprint(where: str, value: Any) -> str:
    if value is None:
        raise PayloadError("bad_alert", f"{where}: no fingerprint")
    if (
        not isinstance(value, str)
        or not value
        or len(value) > FINGERPRINT_MAX
        or not value.isascii()
        or not value.isprintable()
    ):
        raise PayloadError(
            "bad_alert", f"{where}.fingerprint must be 1-{FINGERPRINT_MAX} printable ASCII"
        )
    return value


def _status(where: str, value: Any) -> AlertStatus:
    if value is None:
        raise PayloadError("bad_alert", f"{where}: no status")
    if value == "firing":
        return "firing"
    if value == "resolved":
        return "resolved"
    raise PayloadError("bad_alert", f"{where}.status must be firing or resolved")


def _alert(n: int, raw: Any) -> AlertIn:
    where = f"alerts[{n}]"
    if not isinstance(raw, dict):
        raise PayloadError("bad_alert", f"{where} must be an object")
    fingerprint = _fingerprint(where, raw.get("fingerprint"))
    status = _status(where, raw.get("status"))
    if raw.get("startsAt") is None:
        raise PayloadError("bad_alert", f"{where}: no startsAt")
    starts = _time(f"{where}.startsAt", raw["startsAt"])
    ends = _end(f"{where}.endsAt", raw.get("endsAt"))
    url = raw.get("generatorURL")
    if url is not None and (not isinstance(url, str) or len(url) > ANNOTATION_MAX):
        raise PayloadError("bad_alert", f"{where}.generatorURL must be a string")
    return AlertIn(
        fingerprint=fingerprint,
        status=status,
        starts_ns=starts,
        ends_ns=ends,
        labels=_text_map(f"{where}.labels", raw.get("labels"), LABEL_VALUE_MAX),
        annotations=_text_map(f"{where}.annotations", raw.get("annotations"), ANNOTATION_MAX),
        generator_url=url or None,
    )


def _truncated(value: Any) -> int:
    if value is None:
        return 0
    if type(value) is not int or not 0 <= value <= 2**31 - 1:
        raise PayloadError("bad_shape", "truncatedAlerts must be a whole number >= 0")
    return value


def _short(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value[:255] if isinstance(value, str) else ""


def parse_webhook(data: Any) -> Webhook:
    """A decoded JSON body as a ``Webhook``; ``PayloadError`` at the first thing wrong."""
    if not isinstance(data, dict):
        raise PayloadError("not_object", "the webhook body must be a JSON object")
    version = data.get("version")
    if version is None:
        raise PayloadError("bad_version", "no version: an Alertmanager webhook body says version 4")
    if version != VERSION:
        shown = str(version)[:20]
        raise PayloadError("bad_version", f"payload version {shown!r} is not supported (need '4')")
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("no_alerts", "the webhook body has no alerts list")
    return Webhook(
        receiver=_short(data, "receiver"),
        group_key=_short(data, "groupKey"),
        truncated=_truncated(data.get("truncatedAlerts")),
        alerts=tuple(_alert(n, raw) for n, raw in enumerate(alerts)),
    )
