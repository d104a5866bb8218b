"""alerting.yaml's receivers as Alertmanager 0.25 receivers.

Secrets stay files wherever Alertmanager 0.25 reads a file (``auth_password_file``,
``credentials_file``). Where it has no such field (the Telegram bot token; a webhook URL that
is itself a secret; an ``env:`` reference) the value is resolved and written into the
configuration, which is then allowed only into a file written with mode 0600 (``--output``),
never to standard output.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from netwarden.alerting.config_model import (
    AlertingConfig,
    Collector,
    EmailChannel,
    Receiver,
    Smtp,
    TelegramChannel,
    WebhookChannel,
)
from netwarden.errors import SecretError, UsageError
from netwarden.secret import Secret

COLLECTOR_RECEIVER = "netwarden-collector"
NULL_RECEIVER = "netwarden-null"
ALERTS_PATH = "/api/v1/alerts/alertmanager"


class SecretSink:
    """Resolves the secrets that must be written into the configuration, if allowed."""

    def __init__(self, *, allowed: bool) -> None:
        self.allowed = allowed
        self.written = 0

    def value(self, secret: Secret, what: str) -> str:
        if not self.allowed:
            raise UsageError(
                f"{what}: Alertmanager 0.25 cannot read it from a file, so it would be written "
                "into the configuration; use --output FILE (written with mode 0600), never "
                "standard output"
            )
        try:
            value = secret.reveal()
        except SecretError as exc:
            raise SecretError(f"{what}: {exc}") from exc
        if not value.strip():
            raise SecretError(f"{what}: secret {secret.reference} is empty")
        self.written += 1
        return value


def _email(channel: EmailChannel, smtp: Smtp, sink: SecretSink, where: str) -> dict[str, Any]:
    node: dict[str, Any] = {
        "to": channel.to,
        "from": smtp.sender,
        "smarthost": smtp.smarthost,
        "require_tls": smtp.require_tls,
        "send_resolved": channel.send_resolved,
    }
    if smtp.username is not None:
        node["auth_username"] = smtp.username
    if smtp.password is not None:
        if smtp.password.kind == "file":
            node["auth_password_file"] = smtp.password.target
        else:
            node["auth_password"] = sink.value(smtp.password, f"{where}: the e-mail password")
    return node


def _telegram(channel: TelegramChannel, sink: SecretSink, where: str) -> dict[str, Any]:
    return {
        "chat_id": channel.chat_id,
        "bot_token": sink.value(channel.bot_token, f"{where}: the Telegram bot token"),
        "send_resolved": channel.send_resolved,
    }


def _webhook(channel: WebhookChannel, sink: SecretSink, where: str) -> dict[str, Any]:
    url = channel.url
    if url.startswith(("env:", "file:")):
        url = sink.value(Secret(url), f"{where}: the webhook URL")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            # Never echo it: the URL is a secret (it carries the gateway's key).
            raise UsageError(f"{where}: the webhook URL in {channel.url} is not an http(s) URL")
    node: dict[str, Any] = {"url": url, "send_resolved": channel.send_resolved}
    if channel.max_alerts:
        node["max_alerts"] = channel.max_alerts
    http: dict[str, Any] = {}
    if channel.bearer_token is not None:
        token = channel.bearer_token
        auth = {"type": "Bearer"}
        if token.kind == "file":
            auth["credentials_file"] = token.target
        else:
            auth["credentials"] = sink.value(token, f"{where}: the webhook bearer token")
        http["authorization"] = auth
    if channel.ca_file is not None:
        http["tls_config"] = {"ca_file": channel.ca_file}
    if http:
        node["http_config"] = http
    return node


def _receiver(name: str, receiver: Receiver, config: AlertingConfig, sink: SecretSink) -> Any:
    where = f"receiver '{name}'"
    node: dict[str, Any] = {"name": name}
    if receiver.email:
        assert config.email is not None  # the model requires it when a receiver sends e-mail
        node["email_configs"] = [_email(c, config.email, sink, where) for c in receiver.email]
    if receiver.telegram:
        node["telegram_configs"] = [_telegram(c, sink, where) for c in receiver.telegram]
    if receiver.webhook:
        node["webhook_configs"] = [_webhook(c, sink, where) for c in receiver.webhook]
    return node


def collector_receiver(collector: Collector) -> dict[str, Any]:
    """Every alert to the collector's incident intake, with its token from a file."""
    http: dict[str, Any] = {
        "authorization": {"type": "Bearer", "credentials_file": collector.token_file}
    }
    if collector.ca_file is not None:
        http["tls_config"] = {"ca_file": collector.ca_file}
    webhook = {
        "url": collector.url.rstrip("/") + ALERTS_PATH,
        "send_resolved": True,
        "http_config": http,
    }
    return {"name": COLLECTOR_RECEIVER, "webhook_configs": [webhook]}


def receivers(config: AlertingConfig, sink: SecretSink) -> list[Any]:
    """The generated receivers first, then alerting.yaml's in its order."""
    found = [collector_receiver(config.collector), {"name": NULL_RECEIVER}]
    found += [_receiver(name, r, config, sink) for name, r in config.receivers.items()]
    return found
