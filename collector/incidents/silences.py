"""Alertmanager silences through its API v2: the seam maintenance windows go through.

``SilenceApi`` is what the collector needs (create one, expire one); ``AlertmanagerSilences``
implements it with httpx against ``POST /api/v2/silences`` and ``DELETE /api/v2/silence/{id}``.
Tests use an in-memory fake (tests/unit/incidents/fake_silences.py) or a real Alertmanager.
Calls block: the API runs them in its thread pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import httpx

from netwarden.collector.incidents.errors import SilenceError
from netwarden.collector.incidents.maintenance import Matcher
from netwarden.collector.incidents.times import format_s
from netwarden.errors import UsageError

TIMEOUT = 10.0


class SilenceApi(Protocol):
    """Create and expire silences in one Alertmanager."""

    def create(
        self,
        matchers: Sequence[Matcher],
        starts_at: float,
        ends_at: float,
        created_by: str,
        comment: str,
    ) -> str:
        """A new silence; returns its id."""
        ...

    def expire(self, silence_id: str) -> None:
        """End a silence now; one Alertmanager no longer knows counts as ended."""
        ...


class AlertmanagerSilences:
    """``SilenceApi`` over HTTP to the Alertmanager at ``url`` (e.g. http://127.0.0.1:9093)."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT) -> None:
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"--alertmanager must be an http:// or https:// URL, got {url!r}")
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def _send(self, method: str, path: str, body: object = None) -> httpx.Response:
        try:
            return self._client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise SilenceError(f"Alertmanager at {self.url} did not answer: {exc}") from exc

    def create(
        self,
        matchers: Sequence[Matcher],
        starts_at: float,
        ends_at: float,
        created_by: str,
        comment: str,
    ) -> str:
        body = {
            "matchers": [
                {"name": m.name, "value": m.value, "isRegex": False, "isEqual": True}
                for m in matchers
            ],
            "startsAt": format_s(starts_at),
            "endsAt": format_s(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }
        answer = self._send("POST", "/api/v2/silences", body)
        if answer.status_code != 200:
            raise SilenceError(
                f"Alertmanager at {self.url} refused the silence "
                f"({answer.status_code}: {answer.text.strip()[:200]})"
            )
        try:
            silence_id = answer.json()["silenceID"]
        except (ValueError, KeyError, TypeError):
            raise SilenceError(f"Alertmanager at {self.url} answered no silenceID") from None
        return str(silence_id)

    def expire(self, silence_id: str) -> None:
        answer = self._send("DELETE", f"/api/v2/silence/{silence_id}")
        # A silence Alertmanager no longer knows (its --data.retention dropped it, or its
        # storage was lost) is as ended as asked; 0.25 says so with a 500 "silence not found".
        gone = answer.status_code == 404 or "silence not found" in answer.text
        if answer.status_code != 200 and not gone:
            raise SilenceError(
                f"Alertmanager at {self.url} did not expire silence {silence_id} "
                f"({answer.status_code}: {answer.text.strip()[:200]})"
            )
