"""Deadlines of the national incident reports (Thông tư 20/2017/TT-BTTTT) on the collector's
``netwarden_incident_report_due_timestamp_seconds{incident_id,form,site}``: one series per
report still to be made; it goes away when a draft of that form is made (docs/reports.md)."""

from __future__ import annotations

from netwarden.alerting.rules.spec import AlertSpec, GroupSpec

DUE = "netwarden_incident_report_due_timestamp_seconds"
# One record per report, not the incident of the system itself: if these alerts reach the
# collector's webhook they must not join (or reopen) the incident they are about.
INCIDENT_REPORT = "report/{{ $labels.incident_id }}"

DUE_SOON = AlertSpec(
    alert="NetwardenIncidentReportDueSoon",
    expr=f"{DUE} - time() <= <<warn_before:seconds>> and {DUE} - time() > 0",
    incident=INCIDENT_REPORT,
    params={"warn_before": "duration"},
    summary=(
        "The {{ $labels.form }} report of {{ $labels.incident_id }} is due within <<warn_before>>"
    ),
    summary_vi=(
        "Báo cáo {{ $labels.form }} của sự cố {{ $labels.incident_id }} đến hạn trong "
        "<<warn_before>>"
    ),
    description=(
        "The national {{ $labels.form }} report (Thông tư 20/2017) of incident "
        "{{ $labels.incident_id }} (site {{ $labels.site }}) is due in less than "
        "<<warn_before>>. Make the draft with `netwarden incident report "
        "{{ $labels.incident_id }} --form {{ $labels.form }} --format docx`, complete, sign "
        "and send it."
    ),
    description_vi=(
        "Báo cáo {{ $labels.form }} (Thông tư 20/2017) của sự cố {{ $labels.incident_id }} "
        "(điểm {{ $labels.site }}) đến hạn trong chưa đầy <<warn_before>>. Lập bản nháp bằng "
        "`netwarden incident report {{ $labels.incident_id }} --form {{ $labels.form }} "
        "--format docx`, hoàn thiện, ký và gửi."
    ),
)

OVERDUE = AlertSpec(
    alert="NetwardenIncidentReportOverdue",
    expr=f"time() - {DUE} >= 0",
    incident=INCIDENT_REPORT,
    summary="The {{ $labels.form }} report of {{ $labels.incident_id }} is overdue",
    summary_vi="Báo cáo {{ $labels.form }} của sự cố {{ $labels.incident_id }} đã quá hạn",
    description=(
        "The national {{ $labels.form }} report (Thông tư 20/2017) of incident "
        "{{ $labels.incident_id }} (site {{ $labels.site }}) is past its deadline. Make it with "
        "`netwarden incident report {{ $labels.incident_id }} --form {{ $labels.form }}` and "
        "send it now."
    ),
    description_vi=(
        "Báo cáo {{ $labels.form }} (Thông tư 20/2017) của sự cố {{ $labels.incident_id }} "
        "(điểm {{ $labels.site }}) đã quá hạn. Lập bằng `netwarden incident report "
        "{{ $labels.incident_id }} --form {{ $labels.form }}` và gửi ngay."
    ),
)

GROUP = GroupSpec(
    name="netwarden-reports",
    file="netwarden-reports.yml",
    title="deadlines of the national incident reports (Thông tư 20/2017)",
    rules=(DUE_SOON, OVERDUE),
)
