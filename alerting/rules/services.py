"""Portals (HTTP checks of services): down, slow, certificate expiring and expired.

TCP and ICMP checks (a camera's RTSP port, a VC endpoint) are not paged one by one: they
feed the dashboards, and cameras count in their group's ratio (groups.py)."""

from __future__ import annotations

from netwarden.alerting.rules.spec import INCIDENT_SERVICE, AlertSpec, GroupSpec

PORTAL_DOWN = AlertSpec(
    alert="NetwardenPortalDown",
    expr='netwarden_probe_success{probe="http"} == 0',
    incident=INCIDENT_SERVICE,
    summary="Portal {{ $labels.service }} is down ({{ $labels.target }})",
    summary_vi="Cổng {{ $labels.service }} không truy cập được ({{ $labels.target }})",
    description=(
        "The HTTP check of {{ $labels.service }} from {{ $labels.agent }} has failed for "
        "<<for>>: no answer, a wrong status, a TLS error or an unexpected body."
    ),
    description_vi=(
        "Kiểm tra HTTP tới {{ $labels.service }} từ {{ $labels.agent }} thất bại trong <<for>>: "
        "không trả lời, sai mã trạng thái, lỗi TLS hoặc nội dung không đúng."
    ),
)

PORTAL_SLOW = AlertSpec(
    alert="NetwardenPortalSlow",
    expr="""
netwarden_probe_duration_seconds{probe="http"} > <<seconds>>
and netwarden_probe_success{probe="http"} == 1
""",
    incident=INCIDENT_SERVICE,
    params={"seconds": "number"},
    summary="Portal {{ $labels.service }} is slow ({{ $value | humanizeDuration }})",
    summary_vi="Cổng {{ $labels.service }} phản hồi chậm ({{ $value | humanizeDuration }})",
    description=(
        "The HTTP check of {{ $labels.service }} has taken more than <<seconds>> s for <<for>> "
        "(the phases are in netwarden_probe_http_phase_seconds)."
    ),
    description_vi=(
        "Kiểm tra HTTP tới {{ $labels.service }} mất hơn <<seconds>> giây trong <<for>> "
        "(thời gian từng giai đoạn có trong netwarden_probe_http_phase_seconds)."
    ),
)

TLS_EXPIRING = AlertSpec(
    alert="NetwardenTlsCertificateExpiring",
    expr="(netwarden_probe_tls_days_left < <<days>>) >= 0",
    incident=INCIDENT_SERVICE,
    params={"days": "number"},
    summary="The certificate of {{ $labels.service }} expires in {{ $value | humanize }} days",
    summary_vi="Chứng thư số của {{ $labels.service }} hết hạn sau {{ $value | humanize }} ngày",
    description=(
        "The TLS certificate served at {{ $labels.target }} expires in less than <<days>> "
        "days: renew it."
    ),
    description_vi=(
        "Chứng thư TLS tại {{ $labels.target }} còn dưới <<days>> ngày là hết hạn: cần gia hạn."
    ),
)

TLS_EXPIRED = AlertSpec(
    alert="NetwardenTlsCertificateExpired",
    expr="netwarden_probe_tls_days_left < 0",
    incident=INCIDENT_SERVICE,
    summary="The certificate of {{ $labels.service }} has expired",
    summary_vi="Chứng thư số của {{ $labels.service }} đã hết hạn",
    description=(
        "The TLS certificate served at {{ $labels.target }} expired "
        "{{ $value | humanize }} days ago (negative: days past): browsers refuse the portal."
    ),
    description_vi=(
        "Chứng thư TLS tại {{ $labels.target }} đã hết hạn ({{ $value | humanize }} ngày; số "
        "âm là số ngày đã quá hạn): trình duyệt sẽ từ chối truy cập cổng."
    ),
)

GROUP = GroupSpec(
    name="netwarden-services",
    file="netwarden-services.yml",
    title="portals: down, slow, TLS certificate expiring and expired",
    rules=(PORTAL_DOWN, PORTAL_SLOW, TLS_EXPIRING, TLS_EXPIRED),
)
