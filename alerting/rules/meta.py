"""The alerting pipeline itself: a Watchdog that always fires (a dead man's switch: its
absence downstream means Prometheus, its rules or Alertmanager are broken), and the
escalation of incidents nobody acknowledged (the collector exports their age)."""

from __future__ import annotations

from netwarden.alerting.rules.spec import AlertSpec, GroupSpec

WATCHDOG = AlertSpec(
    alert="Watchdog",
    expr="vector(1)",
    incident="service/alerting-pipeline",
    labels={"site": "<<monitoring_site>>"},
    summary="The alerting pipeline works (this alert always fires)",
    summary_vi="Hệ thống cảnh báo đang hoạt động (cảnh báo này luôn bật)",
    description=(
        "Always firing, so that its receiver (a dead man's switch) notices when alerts stop "
        "arriving: Prometheus, its rules or Alertmanager are broken if it goes quiet."
    ),
    description_vi=(
        "Luôn bật, để nơi nhận (dead man's switch) phát hiện khi cảnh báo ngừng đến: nếu "
        "cảnh báo này im lặng, Prometheus, bộ luật hoặc Alertmanager đang hỏng."
    ),
)

UNACKNOWLEDGED = AlertSpec(
    alert="NetwardenIncidentUnacknowledged",
    expr="""
netwarden_incident_unacknowledged_seconds{severity="critical"} > <<critical_after:seconds>>
or
netwarden_incident_unacknowledged_seconds{severity!="critical"} > <<other_after:seconds>>
""",
    # One incident, one escalation; the incident's own severity is kept beside the
    # escalation's.
    incident="incident/{{ $labels.incident_id }}",
    params={"critical_after": "duration", "other_after": "duration"},
    labels={"incident_severity": "{{ $labels.severity }}"},
    summary=(
        "Incident {{ $labels.incident_id }} ({{ $labels.site }}) has not been acknowledged "
        "for {{ $value | humanizeDuration }}"
    ),
    summary_vi=(
        "Sự cố {{ $labels.incident_id }} ({{ $labels.site }}) chưa được tiếp nhận sau "
        "{{ $value | humanizeDuration }}"
    ),
    description=(
        "A {{ $labels.severity }} incident has waited longer than its escalation time "
        "(critical <<critical_after>>, others <<other_after>>) without anyone acknowledging "
        "it: escalated to the lead on duty."
    ),
    description_vi=(
        "Sự cố mức {{ $labels.severity }} đã chờ quá thời hạn (critical <<critical_after>>, "
        "mức khác <<other_after>>) mà chưa ai tiếp nhận: chuyển lên trưởng ca trực."
    ),
)

GROUP = GroupSpec(
    name="netwarden-meta",
    file="netwarden-meta.yml",
    title="the alerting pipeline: Watchdog, escalation of unacknowledged incidents",
    rules=(WATCHDOG, UNACKNOWLEDGED),
)
