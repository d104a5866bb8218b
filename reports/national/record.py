"""What a draft is made from: the incident record, what only a person knows about it, the
reports already made, and the inputs of the six-monthly summary."""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.collector.incidents.records import IncidentDetail
from netwarden.collector.incidents.times import format_s

HANDLED_WITH = ("alone", "domestic", "foreign", "national")


@dataclass(frozen=True, slots=True)
class PersonFields:
    """Set with ``incident set``: the incident type (Mẫu 05's rows), a short description, and
    with whose help it was handled (Mẫu 05's columns). None: nobody said yet."""

    incident_type: str | None = None
    description: str | None = None
    handled_with: str | None = None


@dataclass(frozen=True, slots=True)
class MadeReport:
    """A draft the collector made (the timeline says so too)."""

    seq: int
    form: str
    format: str
    template: str
    sha256: str
    size: int
    at: float
    by: str

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.seq,
            "form": self.form,
            "format": self.format,
            "template": self.template,
            "sha256": self.sha256,
            "size": self.size,
            "at": format_s(self.at),
            "by": self.by,
        }


@dataclass(frozen=True, slots=True)
class IncidentReportInput:
    """Everything one incident's draft is filled from."""

    detail: IncidentDetail
    person: PersonFields
    made: tuple[MadeReport, ...]

    def last_made(self, form: str) -> MadeReport | None:
        found = [m for m in self.made if m.form == form]
        return found[-1] if found else None


@dataclass(frozen=True, slots=True)
class SummaryEntry:
    """One incident discovered in a summary's period."""

    id: str
    title: str
    incident_type: str | None
    handled_with: str | None
