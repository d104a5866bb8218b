"""When each report of an incident is due: the template version's defaults (Thông tư 20/2017:
the notice 5 days after discovery, the final report 5 days after the response ends), or what
``reporting.yaml`` says. A report is no longer due once a draft of it was made."""

from __future__ import annotations

from netwarden.reports.national.config import ReportingConfig
from netwarden.reports.national.templates import Template


def due_times(
    *,
    opened_at: float,
    resolved_at: float | None,
    serious: bool,
    made: frozenset[str],
    template: Template,
    config: ReportingConfig,
) -> dict[str, float]:
    """form -> Unix time it is due, for the forms still to be made."""
    if config.deadlines.applies_to == "serious" and not serious:
        return {}
    anchors = {"discovery": opened_at, "resolution": resolved_at}
    due: dict[str, float] = {}
    for form, rule in template.data.deadlines.items():
        anchor = anchors[rule.after]
        if anchor is None or form in made:
            continue
        within = getattr(config.deadlines, form, None)
        due[form] = anchor + (within if within is not None else rule.within)
    return due
