"""``alerting.yaml``: where alerts go. The collector's alert webhook, the people's receivers
(e-mail, Telegram, a generic webhook such as an SMS or Zalo gateway), how the people's routes
split, the on-duty lead for escalations, the dead man's switch for the Watchdog.

Strict like the inventory (unknown keys and wrong types are errors); secrets are references
(``env:NAME``, ``file:/path``), never values.
"""

from __future__ import annotations

import re
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from netwarden.alerting.thresholds import check_value
from netwarden.inventory.fields import Id, SecretRef
from netwarden.inventory.strict import Strict, rule_error
from netwarden.secret import is_reference

RESERVED = ("netwarden-collector", "netwarden-null")
"""Receiver names the generator uses itself."""

_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')


def _duration(value: str) -> str:
    why = check_value("duration", value)
    if why is not None:
        raise PydanticCustomError("duration", why)
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("url", "must be an http:// or https:// URL with a host")
    return value


def _url_or_secret(value: str) -> str:
    return value if is_reference(value) else _http_url(value)


def _absolute(value: str) -> str:
    if not value.startswith("/"):
        raise PydanticCustomError("path", "must be an absolute path (on the Alertmanager host)")
    return value


def _host_port(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535 or " " in host:
        raise PydanticCustomError("smarthost", "must be host:port, like mail.tinh.gov.vn:587")
    return value


_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+$")


def _addresses(value: str) -> str:
    if not all(_EMAIL.match(part.strip()) for part in value.split(",")):
        raise PydanticCustomError(
            "email", "must be an e-mail address (several: separated by commas)"
        )
    return value


def _matcher(value: str) -> str:
    found = _MATCHER.match(value)
    if found is None:
        raise PydanticCustomError(
            "matcher", 'must be a matcher like severity="critical" or site=~"hs-.*"'
        )
    if found[2] in ("=~", "!~"):
        try:
            re.compile(found[3])
        except re.error as exc:
            raise PydanticCustomError(
                "matcher", "has an invalid regular expression: {why}", {"why": str(exc)}
            ) from exc
    return value.strip()


PromDuration = Annotated[str, AfterValidator(_duration)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
AbsPath = Annotated[str, AfterValidator(_absolute)]
Matcher = Annotated[str, AfterValidator(_matcher)]
HostPort = Annotated[str, AfterValidator(_host_port)]
Addresses = Annotated[str, AfterValidator(_addresses)]


class Timing(Strict):
    """Alertmanager's grouping times for a route."""

    group_wait: PromDuration = "30s"
    group_interval: PromDuration = "5m"
    repeat_interval: PromDuration = "4h"


class Collector(Strict):
    """The collector's alert webhook: ``POST <url>/api/v1/alerts/alertmanager``."""

    url: HttpUrl
    token_file: AbsPath  # a token the collector accepts for that route, read by Alertmanager
    ca_file: AbsPath | None = None  # the collector's CA (its tls/ca.pem)
    timing: Timing = Timing(group_wait="10s", group_interval="1m", repeat_interval="1h")


class Smtp(Strict):
    """The mail server every e-mail receiver sends through."""

    model_config = Strict.model_config | {"populate_by_name": True}

    smarthost: HostPort
    sender: Addresses = Field(alias="from")
    username: str | None = None
    password: SecretRef | None = None  # file: -> auth_password_file; env: -> written in
    require_tls: bool = True


class EmailChannel(Strict):
    to: Addresses
    send_resolved: bool = True


class TelegramChannel(Strict):
    chat_id: int
    bot_token: SecretRef  # Alertmanager 0.25 has no bot_token_file: always written in
    send_resolved: bool = True


class WebhookChannel(Strict):
    url: Annotated[str, AfterValidator(_url_or_secret)]  # a URL, or a reference to one
    bearer_token: SecretRef | None = None  # file: -> credentials_file; env: -> written in
    ca_file: AbsPath | None = None
    send_resolved: bool = True
    max_alerts: int = Field(default=0, ge=0)


class Receiver(Strict):
    """One receiver: every channel listed gets every notification routed to it."""

    email: list[EmailChannel] = Field(default_factory=list)
    telegram: list[TelegramChannel] = Field(default_factory=list)
    webhook: list[WebhookChannel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.email or self.telegram or self.webhook):
            raise rule_error("needs at least one of 'email', 'telegram', 'webhook'")
        return self


class PeopleRoute(Strict):
    matchers: list[Matcher] = Field(min_length=1)
    receiver: Id


class People(Strict):
    """Where alerts go for people, grouped by site and incident."""

    receiver: Id  # everything no route below takes
    routes: list[PeopleRoute] = Field(default_factory=list)
    timing: Timing = Timing()


class Escalation(Strict):
    """The on-duty lead, for incidents nobody acknowledged."""

    receiver: Id
    repeat_interval: PromDuration = "30m"


class Watchdog(Strict):
    """The dead man's switch that expects the Watchdog alert every ``repeat_interval``."""

    receiver: Id
    repeat_interval: PromDuration = "1m"


class AlertingConfig(Strict):
    collector: Collector
    email: Smtp | None = None
    receivers: dict[Id, Receiver] = Field(min_length=1)
    people: People
    escalation: Escalation
    watchdog: Watchdog | None = None

    @model_validator(mode="after")
    def _references(self) -> Self:
        for name in self.receivers:
            if name in RESERVED:
                raise rule_error(f"receiver name '{name}' is reserved", "receivers")
        used = [("people", self.people.receiver), ("escalation", self.escalation.receiver)]
        used += [("people", route.receiver) for route in self.people.routes]
        if self.watchdog is not None:
            used.append(("watchdog", self.watchdog.receiver))
        for where, name in used:
            if name not in self.receivers:
                raise rule_error(f"unknown receiver '{name}'", where)
        if self.email is None and any(r.email for r in self.receivers.values()):
            raise rule_error("is required: a receiver sends e-mail", "email")
        return self
