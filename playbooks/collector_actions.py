"""The actions the collector runs itself: ``notify`` (a webhook or an e-mail), ``report``
(a national report draft of the incident, kept as evidence) and ``events`` (a device's traps
and syslog lines from the collector's events store). ``approval`` is the engine's
own (it waits for a person). Each blocks; the engine calls them from a worker thread.
"""

from __future__ import annotations

import hashlib
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Protocol

from netwarden.errors import NetwardenError

NOTIFY_TIMEOUT = 10.0


class ActionFailed(NetwardenError):
    """A collector action that did not do its work (one line)."""


@dataclass(frozen=True)
class Outcome:
    """What a collector action gives: its output, a text for people, and evidence bytes."""

    output: dict[str, Any]
    text: str
    evidence: tuple[str, bytes] | None = None  # (file name, bytes)


class EventReader(Protocol):
    """The newest ``limit`` events of ``device`` in [since, until], oldest first."""

    def __call__(
        self, device: str, since: float, until: float, limit: int
    ) -> list[dict[str, Any]]: ...


class ReportMaker(Protocol):
    """Makes a report draft of an incident: (file name, bytes)."""

    def __call__(self, incident_id: str, form: str, fmt: str, now: float) -> tuple[str, bytes]: ...


@dataclass
class CollectorActions:
    """``notify`` and ``report``; SMTP host and sender from ``collector serve``'s settings."""

    report_maker: ReportMaker | None = None
    event_reader: EventReader | None = None
    smtp_host: str = "localhost"
    smtp_port: int = 25
    sender: str = "netwarden@localhost"
    post: Callable[[str, dict[str, Any]], int] | None = None  # tests replace the transport

    def notify(self, args: dict[str, Any], run_id: str) -> Outcome:
        message = str(args["message"])
        if args.get("webhook"):
            url = str(args["webhook"])
            status = self._post(url, {"run": run_id, "message": message})
            if not 200 <= status < 300:
                raise ActionFailed(f"webhook {url} answered HTTP {status}")
            return Outcome({"sent": True, "to": url}, f"sent to {url}: {message}")
        to = str(args["email"])
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, to, f"netwarden {run_id}"
        mail.set_content(message)
        try:
            with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=NOTIFY_TIMEOUT) as smtp:
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise ActionFailed(f"e-mail to {to} not sent: {exc}") from None
        return Outcome({"sent": True, "to": to}, f"e-mailed {to}: {message}")

    def _post(self, url: str, body: dict[str, Any]) -> int:
        if self.post is not None:
            return self.post(url, body)
        import httpx  # lazy: the CLI must start fast

        try:
            answer = httpx.post(url, json=body, timeout=NOTIFY_TIMEOUT)
        except httpx.HTTPError as exc:
            raise ActionFailed(f"webhook {url} not reached: {exc}") from None
        return answer.status_code

    def report(self, args: dict[str, Any], incident_id: str | None, now: float) -> Outcome:
        if incident_id is None:
            raise ActionFailed("report needs an incident: this run has none")
        if self.report_maker is None:
            raise ActionFailed("this collector makes no report drafts (no incident record)")
        form, fmt = str(args["form"]), str(args.get("format", "md"))
        name, data = self.report_maker(incident_id, form, fmt, now)
        sha = hashlib.sha256(data).hexdigest()
        output = {"form": form, "format": fmt, "sha256": sha, "size": len(data)}
        return Outcome(output, f"{form} report draft {name} ({len(data)} bytes)", (name, data))

    def events(self, args: dict[str, Any], now: float) -> Outcome:
        if self.event_reader is None:
            raise ActionFailed("this collector keeps no events (no events store)")
        device, limit = str(args["device"]), int(args.get("limit", 100))
        since = now - float(args.get("window", 900.0))
        # One more than kept: tells a full window from one that holds exactly ``limit``.
        found = self.event_reader(device, since, now, limit + 1)
        kept = found[-limit:]
        truncated = len(found) > limit
        output = {
            "device": device,
            "since": since,
            "count": len(kept),
            "events": kept,
            "truncated": truncated,
        }
        head = f"{len(kept)} events of {device} in the last {now - since:g} s"
        head += " (the newest)" if truncated else ""
        return Outcome(output, "\n".join([head, *(_event_line(e) for e in kept)]))


def _event_line(event: dict[str, Any]) -> str:
    at = datetime.fromtimestamp(float(event["at"]), UTC).strftime("%Y-%m-%d %H:%M:%S")
    level = f" {event['severity']}" if event.get("severity") else ""
    return (
        f"{at}Z {event.get('source', '?')} {event.get('kind', 'other')}{level}: {event['message']}"
    )
