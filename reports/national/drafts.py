"""Making a draft: the record's values, the form of the configured version, the format."""

from __future__ import annotations

from collections.abc import Sequence

from netwarden.inventory.model import Inventory
from netwarden.reports.national.compose import compose
from netwarden.reports.national.config import ReportingConfig
from netwarden.reports.national.dates import vn_datetime
from netwarden.reports.national.errors import ReportError
from netwarden.reports.national.fill import Period, incident_values, summary_values
from netwarden.reports.national.record import IncidentReportInput, SummaryEntry
from netwarden.reports.national.render import Rendered, render
from netwarden.reports.national.templates import template

INCIDENT_FORMS = ("notice", "initial", "final")


def _footer(what: str, now: float) -> tuple[str, ...]:
    return (
        f"Bản dự thảo do netwarden lập lúc {vn_datetime(now)} từ {what}; người có thẩm quyền "
        "kiểm tra, bổ sung các mục còn trống, ký và đóng dấu trước khi gửi.",
    )


def incident_draft(
    form: str,
    fmt: str,
    given: IncidentReportInput,
    *,
    inventory: Inventory,
    config: ReportingConfig,
    now: float,
) -> Rendered:
    """The notice, Mẫu 03 or Mẫu 04 of one incident."""
    if form not in INCIDENT_FORMS:
        raise ReportError(f"form must be one of {', '.join(INCIDENT_FORMS)}, not {form!r}")
    forms = template(config.template)
    values = incident_values(given, inventory, config, now)
    footer = _footer(f"hồ sơ sự cố {given.detail.incident.id}", now)
    return render(compose(forms, forms.form(form), values, config, footer), fmt)


def summary_draft(
    fmt: str,
    entries: Sequence[SummaryEntry],
    period: Period,
    config: ReportingConfig,
    now: float,
) -> Rendered:
    """Mẫu 05 for the incidents discovered in ``period``."""
    forms = template(config.template)
    values = summary_values(entries, period, forms, config)
    footer = _footer(f"{len(entries)} hồ sơ sự cố trong kỳ", now)
    return render(compose(forms, forms.form("summary"), values, config, footer), fmt)
