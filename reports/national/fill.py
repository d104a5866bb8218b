"""The values a form's keys take, from the incident record, the inventory and reporting.yaml.

One dictionary serves the notice, Mẫu 03 and Mẫu 04 (each form picks its keys); the summary
has its own. A value the record cannot give is None: the form shows a blank for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from netwarden.collector.incidents.records import IncidentDetail
from netwarden.inventory.model import Inventory
from netwarden.reports.national.config import ReportingConfig
from netwarden.reports.national.dates import vn_date, vn_datetime, vn_time
from netwarden.reports.national.facts import SystemFacts, system_facts
from netwarden.reports.national.record import HANDLED_WITH, IncidentReportInput, SummaryEntry
from netwarden.reports.national.templates import Template

Value: TypeAlias = str | tuple[str, ...] | tuple[tuple[str, ...], ...] | None
Values = dict[str, Value]

# How the timeline's kinds read in a report (the rest keep their own name).
_KIND = {
    "alert-fired": "Cảnh báo",
    "alert-resolved": "Hết cảnh báo",
    "opened": "Mở hồ sơ sự cố",
    "reopened": "Mở lại hồ sơ sự cố",
    "acknowledged": "Tiếp nhận",
    "note": "Ghi chú",
    "evidence-added": "Bổ sung chứng cứ",
    "flag-changed": "Thay đổi thuộc tính",
    "status-changed": "Thay đổi trạng thái",
    "maintenance": "Bảo trì",
    "truncated": "Cảnh báo bị lược bớt",
    "report-made": "Lập báo cáo",
    "report-fields": "Cập nhật thông tin báo cáo",
}


def _joined(values: Sequence[str], sep: str = "; ") -> str | None:
    return sep.join(values) if values else None


def _lines(text: str | None) -> tuple[str, ...] | None:
    if not text or not text.strip():
        return None
    return tuple(line.strip() for line in text.strip().splitlines() if line.strip())


def organisation(config: ReportingConfig) -> Values:
    """The reporting organisation and its contact person."""
    org, contact = config.organisation, config.contact
    return {
        "org.name": org.name,
        "org.address": org.address,
        "org.phone": org.phone,
        "org.email": org.email,
        "org.network_member_code": config.network_member_code,
        "contact.name": contact.name,
        "contact.position": contact.position,
        "contact.phone": contact.phone,
        "contact.email": contact.email,
        "incident.recommendations": None,
        "incident.proposed_result": None,
    }


def _system(facts: SystemFacts) -> Values:
    name = _joined(facts.names)
    full = [name] if name else []
    if facts.domains:
        full.append(f"tên miền: {', '.join(facts.domains)}")
    if facts.addresses:
        full.append(f"địa chỉ IP: {', '.join(facts.addresses)}")
    return {
        "system.name": name,
        "system.name_full": " — ".join(full) or None,
        "system.level": f"Cấp độ {facts.level}" if facts.level else None,
        "system.owner": _joined(facts.owner),
        "system.operator": _joined(facts.operator),
        "system.operator_address": None,  # the inventory has no addresses of organisations
        "system.os": _joined(facts.os),
        "system.purpose": _joined(facts.purpose),
        "system.network_provider": _joined(facts.network_provider),
        "system.security_provider": _joined(facts.security_provider),
        "system.domains": _joined(facts.domains, ", "),
        "system.addresses": _joined(facts.addresses, ", "),
        "system.services": facts.services or None,
        "system.security_measures": facts.security_measures or None,
    }


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _notice_sent(given: IncidentReportInput, config: ReportingConfig) -> tuple[str, ...] | None:
    made = given.last_made("notice")
    if made is None:
        return None
    to = "; ".join(config.recipients.notice) or "(nơi nhận: …)"
    return (f"{to} — thông báo sự cố lập lúc {vn_datetime(made.at)}",)


def _course(detail: IncidentDetail) -> tuple[str, ...]:
    inc = detail.incident
    lines = [f"Phát hiện lúc {vn_datetime(inc.opened_at)}: {inc.title}."]
    if inc.acknowledged_at is not None:
        lines.append(f"Tiếp nhận lúc {vn_datetime(inc.acknowledged_at)} ({inc.acknowledged_by}).")
    if inc.resolved_at is not None:
        lines.append(f"Khắc phục xong lúc {vn_datetime(inc.resolved_at)} ({inc.resolved_by}).")
    if inc.closed_at is not None:
        lines.append(f"Đóng hồ sơ lúc {vn_datetime(inc.closed_at)} ({inc.closed_by}).")
    return tuple(lines)


def _handling(detail: IncidentDetail) -> Values:
    inc = detail.incident
    resolved = [t for t in (inc.resolution, inc.closing_summary) if t]
    timeline = tuple(
        (vn_datetime(t.at), f"{_KIND.get(t.kind, t.kind)}: {t.text}", t.actor)
        for t in detail.timeline
    )
    evidence = tuple(
        (
            str(e.id),
            e.name,
            str(e.size),
            e.sha256,
            vn_datetime(e.at),
            e.source + (f" ({e.step})" if e.step else ""),
        )
        for e in detail.evidence
    )
    return {
        "handling.what_happened": _course(detail),
        "handling.how_resolved": tuple(resolved) or None,
        "handling.prevention": None,
        "handling.ended": vn_datetime(inc.resolved_at) if inc.resolved_at is not None else None,
        "handling.timeline": timeline,
        "handling.evidence": evidence,
        "incident.attachments": tuple(f"{e.name} (SHA-256 {e.sha256})" for e in detail.evidence)
        or None,
    }


def incident_values(
    given: IncidentReportInput, inventory: Inventory, config: ReportingConfig, now: float
) -> Values:
    """Every key the notice, Mẫu 03 and Mẫu 04 use."""
    inc = given.detail.incident
    facts = system_facts(inc.affected, inventory, config.internal())
    alerts = list(dict.fromkeys(a.alertname for a in given.detail.alerts))
    detection = f"{config.monitoring_system}, cảnh báo: {', '.join(alerts) or '…'}"
    initial = given.last_made("initial")
    return {
        **organisation(config),
        **_system(facts),
        **_handling(given.detail),
        "incident.id": inc.id,
        "incident.name": inc.title,
        "incident.description": _lines(given.person.description),
        "incident.discovered_date": vn_date(inc.opened_at),
        "incident.discovered_time": vn_time(inc.opened_at),
        "incident.status": "handled" if inc.status in ("resolved", "closed") else "unhandled",
        "incident.detection": (detection,),
        "incident.notice_sent_to": _notice_sent(given, config),
        "incident.confidential": _yes_no(inc.confidential),
        "incident.support": _yes_no(inc.support_requested),
        "report.time": vn_datetime(now),
        "initial.number": None,  # the office numbers the document when it sends it
        "initial.date": vn_date(initial.at) if initial is not None else None,
    }


@dataclass(frozen=True, slots=True)
class Period:
    """A summary's period, Vietnam dates, both days included."""

    start: float
    end: float  # exclusive: the start of the day after the last day


def summary_values(
    entries: Sequence[SummaryEntry], period: Period, template: Template, config: ReportingConfig
) -> Values:
    """Mẫu 05: incidents of the period counted per type and per whose help handled them."""
    types = template.data.incident_types
    counts = {(t, h): 0 for t in types for h in HANDLED_WITH}
    unclassified = []
    for e in entries:
        if e.incident_type in types and e.handled_with in HANDLED_WITH:
            counts[(e.incident_type, e.handled_with)] += 1
        else:
            missing = [
                what
                for what, value in (
                    ("loại sự cố", e.incident_type),
                    ("hình thức xử lý", e.handled_with),
                )
                if value is None
            ]
            unclassified.append(f"{e.id}: {e.title} (chưa có {', '.join(missing)})")
    rows = []
    for n, (key, label) in enumerate(types.items(), start=1):
        cells = [counts[(key, h)] for h in HANDLED_WITH]
        rows.append((str(n), label, *(str(c) for c in cells), str(sum(cells))))
    totals = [sum(counts[(t, h)] for t in types) for h in HANDLED_WITH]
    rows.append(("", "Tổng cộng", *(str(c) for c in totals), str(sum(totals))))
    last_day = period.end - 86400
    return {
        **organisation(config),
        "period.text": f"Từ ngày {vn_date(period.start)} đến ngày {vn_date(last_day)}",
        "summary.rows": tuple(rows),
        "summary.unclassified": tuple(unclassified) or ("Không có",),
    }
