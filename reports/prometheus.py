"""A tiny client of Prometheus' HTTP query API (``/api/v1/query``, ``/api/v1/query_range``).

Queries are POSTed as forms: the report's expressions name every link and agency and can be
longer than a URL may be. Every failure is a :class:`PrometheusError` of one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from netwarden.errors import NetwardenError

MAX_POINTS = 10_000  # Prometheus refuses a range query of more than 11,000 points per series


class PrometheusError(NetwardenError):
    """Prometheus could not be reached or did not answer a query."""


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[int, float]]


class Queries(Protocol):
    """What the report asks Prometheus (a fake stands in for it in unit tests)."""

    def instant(self, expr: str, at: int) -> list[Sample]: ...

    def range(self, expr: str, start: int, end: int, step: int) -> list[Series]: ...


class HttpPrometheus:
    """Prometheus at ``url``; ``transport`` lets tests answer in its place."""

    def __init__(
        self, url: str, timeout: float = 120.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise NetwardenError(f"--prometheus must be an http:// or https:// URL, got {url!r}")
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._client.close()

    def instant(self, expr: str, at: int) -> list[Sample]:
        data = self._post("/api/v1/query", {"query": expr, "time": str(at)})
        return [Sample(dict(r["metric"]), float(r["value"][1])) for r in data["result"]]

    def range(self, expr: str, start: int, end: int, step: int) -> list[Series]:
        """``expr`` at ``start, start + step, ... <= end``, in pieces Prometheus accepts."""
        merged: dict[tuple[tuple[str, str], ...], Series] = {}
        piece = step * (MAX_POINTS - 1)
        for first in range(start, end + 1, piece + step):
            last = min(first + piece, end)
            form = {"query": expr, "start": str(first), "end": str(last), "step": f"{step}s"}
            for r in self._post("/api/v1/query_range", form)["result"]:
                labels = dict(r["metric"])
                series = merged.setdefault(tuple(sorted(labels.items())), Series(labels, []))
                series.points.extend((int(float(t)), float(v)) for t, v in r["values"])
        return list(merged.values())

    def _post(self, path: str, form: dict[str, str]) -> Any:
        try:
            answer = self._client.post(path, data=form)
        except httpx.HTTPError as exc:
            raise PrometheusError(f"cannot reach Prometheus at {self.url}: {exc}") from exc
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("status") != "success":
            why = body.get("error") if isinstance(body, dict) else answer.text[:200]
            raise PrometheusError(
                f"Prometheus at {self.url} answered {answer.status_code}: {why or 'no reason'}"
            )
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("result"), list):
            raise PrometheusError(f"Prometheus at {self.url}: an answer without a result list")
        return data
