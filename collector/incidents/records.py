"""The incident record as the store hands it out, and its JSON (docs/collector-api.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from netwarden.collector.incidents.affected import Affected
from netwarden.collector.incidents.times import format_ns, format_s


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One firing of one alert (fingerprint + startsAt) as the incident holds it."""

    fingerprint: str
    alertname: str
    status: str
    severity: str
    starts_ns: int
    ends_ns: int | None
    labels: dict[str, str]
    annotations: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "alertname": self.alertname,
            "status": self.status,
            "starts_at": format_ns(self.starts_ns),
            "ends_at": format_ns(self.ends_ns) if self.ends_ns is not None else None,
            "labels": self.labels,
            "annotations": self.annotations,
        }


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the append-only timeline."""

    at: float
    kind: str
    actor: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"at": format_s(self.at), "kind": self.kind, "actor": self.actor, "text": self.text}


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One piece of evidence: a file stored under its SHA-256, and who brought it."""

    incident_id: str
    id: int
    name: str
    sha256: str
    size: int
    at: float
    source: str
    step: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "sha256": self.sha256,
            "size": self.size,
            "at": format_s(self.at),
            "source": self.source,
            "step": self.step,
        }


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident's own fields (what ``incident list`` shows)."""

    id: str
    key: str
    title: str
    status: str
    severity: str
    site: str | None
    opened_at: float
    created_at: float
    acknowledged_at: float | None
    acknowledged_by: str | None
    resolved_at: float | None
    resolved_by: str | None
    resolution: str | None
    closed_at: float | None
    closed_by: str | None
    closing_summary: str | None
    affected: Affected
    serious: bool
    serious_confirmed: bool | None
    serious_confirmed_by: str | None
    confidential: bool
    support_requested: bool
    in_maintenance: bool
    truncated_alerts: int
    reopened: int
    alert_count: int

    def as_json(self) -> dict[str, Any]:
        """The list entry: the contract's keys first, then the rest of the record."""
        return {
            "id": self.id,
            "key": self.key,
            "title": self.title,
            "status": self.status,
            "severity": self.severity,
            "sites": [t.id for t in self.affected.sites],
            "devices": [t.id for t in self.affected.devices],
            "alerts": self.alert_count,
            "opened_at": format_s(self.opened_at),
            "resolved_at": format_s(self.resolved_at),
            "serious": self.serious,
            "in_maintenance": self.in_maintenance,
            "site": self.site,
            "created_at": format_s(self.created_at),
            "acknowledged_at": format_s(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "resolved_by": self.resolved_by,
            "closed_at": format_s(self.closed_at),
            "closed_by": self.closed_by,
            "serious_confirmed": self.serious_confirmed,
            "serious_confirmed_by": self.serious_confirmed_by,
            "confidential": self.confidential,
            "support_requested": self.support_requested,
            "reopened": self.reopened,
        }


@dataclass(frozen=True, slots=True)
class IncidentDetail:
    """An incident with its alerts, timeline and evidence (what ``incident show`` shows)."""

    incident: Incident
    alerts: tuple[AlertRow, ...]
    timeline: tuple[TimelineEntry, ...]
    evidence: tuple[EvidenceRow, ...]

    def as_json(self) -> dict[str, Any]:
        doc = self.incident.as_json()
        doc["alerts"] = [a.as_json() for a in self.alerts]
        doc["timeline"] = [t.as_json() for t in self.timeline]
        doc["evidence"] = [e.as_json() for e in self.evidence]
        doc["affected"] = self.incident.affected.as_json()
        doc["resolution"] = self.incident.resolution
        doc["closing_summary"] = self.incident.closing_summary
        doc["truncated_alerts"] = self.incident.truncated_alerts
        return doc


@dataclass(slots=True)
class IntakeResult:
    """What one webhook did: the API's answer."""

    accepted: int = 0
    duplicates: int = 0
    incidents: list[str] = field(default_factory=list)
    opened: int = 0
    firing: int = 0
    resolved: int = 0

    def touch(self, incident_id: str) -> None:
        if incident_id not in self.incidents:
            self.incidents.append(incident_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "incidents": self.incidents,
        }


def dumps(mapping: dict[str, str]) -> str:
    """Labels or annotations as stored text (sorted, so equal maps store equal text)."""
    return json.dumps(mapping, ensure_ascii=False, sort_keys=True)
