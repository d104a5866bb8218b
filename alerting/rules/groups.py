"""Camera groups and Wi-Fi hotspots, judged as a whole: one alert per group when too few of
its cameras or access points answer, never one per camera."""

from __future__ import annotations

from netwarden.alerting.rules.spec import INCIDENT_GROUP, AlertSpec, GroupSpec


def _ratio(role: str) -> str:
    # The ICMP probe every device gets (a camera often has no SNMP); by the devices' site,
    # which for a camera group or hotspot is the group itself.
    return (
        f'avg by (site) (netwarden_probe_success{{probe="icmp", role="{role}"}})\n'
        "< <<available_below>>"
    )


CAMERAS = AlertSpec(
    alert="NetwardenCameraGroupUnavailable",
    expr=_ratio("camera"),
    incident=INCIDENT_GROUP,
    params={"available_below": "ratio"},
    summary=(
        "Camera group {{ $labels.site }}: only {{ $value | humanizePercentage }} of cameras answer"
    ),
    summary_vi=(
        "Nhóm camera {{ $labels.site }}: chỉ {{ $value | humanizePercentage }} camera phản hồi"
    ),
    description=(
        "Fewer than <<available_below:percent>> of the cameras of {{ $labels.site }} have "
        "answered ICMP for <<for>>: look for what they share (switch, PoE, power, uplink)."
    ),
    description_vi=(
        "Dưới <<available_below:percent>> camera của {{ $labels.site }} trả lời ICMP trong "
        "<<for>>: kiểm tra phần dùng chung (switch, PoE, nguồn điện, đường lên)."
    ),
)

HOTSPOT = AlertSpec(
    alert="NetwardenHotspotUnavailable",
    expr=_ratio("ap"),
    incident=INCIDENT_GROUP,
    params={"available_below": "ratio"},
    summary=(
        "Wi-Fi hotspot {{ $labels.site }}: only {{ $value | humanizePercentage }} of APs answer"
    ),
    summary_vi=(
        "Điểm Wi-Fi {{ $labels.site }}: chỉ {{ $value | humanizePercentage }} điểm phát phản hồi"
    ),
    description=(
        "Fewer than <<available_below:percent>> of the access points of {{ $labels.site }} "
        "have answered ICMP for <<for>>."
    ),
    description_vi=(
        "Dưới <<available_below:percent>> điểm phát (AP) của {{ $labels.site }} trả lời ICMP "
        "trong <<for>>."
    ),
)

GROUP = GroupSpec(
    name="netwarden-groups",
    file="netwarden-groups.yml",
    title="camera groups and Wi-Fi hotspots, as a ratio of the group",
    rules=(CAMERAS, HOTSPOT),
)
