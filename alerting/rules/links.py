"""Links and interfaces: a line of the dedicated data network down, degraded, saturated,
erroring, flapping or running below its usual speed.

Only inventory links are judged where a link is meant (joined through
``netwarden_link_info``): an access port a PC plugs into goes up and down all day.
"""

from __future__ import annotations

from netwarden.alerting.rules.spec import (
    DDN,
    INCIDENT_LINK,
    INCIDENT_LINK_OR_DEVICE,
    AlertSpec,
    GroupSpec,
    RecordSpec,
    link_or_device,
    on_links,
)

_DDN_UP = on_links("ifOperStatus == 1", selector=DDN)

LINK_DOWN = AlertSpec(
    alert="NetwardenLinkDown",
    # Admin-state aware: an interface an admin shut down is not a fault. And down only while
    # no end of the line sees it up: when a cut agency comes back, its agent is scraped again
    # before it polls again, and its last poll (made during the cut) still says down.
    expr=on_links("ifOperStatus != 1\nand on(device, ifIndex) ifAdminStatus == 1", selector=DDN)
    + "\nunless on(link)\n(\n"
    + "\n".join(f"  {line}" for line in _DDN_UP.splitlines())
    + "\n)",
    incident=INCIDENT_LINK,
    summary="Line {{ $labels.link }} is down (seen from {{ $labels.device }} {{ $labels.ifName }})",
    summary_vi=(
        "Đường truyền {{ $labels.link }} bị mất kết nối "
        "(tại {{ $labels.device }} {{ $labels.ifName }})"
    ),
    description=(
        "The dedicated data network line {{ $labels.link }} is down at {{ $labels.device }} "
        "interface {{ $labels.ifName }} while it is administratively up, and no end of it is "
        "up: every site behind it is cut off, and their own alerts are held back (inhibited) "
        "until it is back."
    ),
    description_vi=(
        "Đường truyền số liệu chuyên dùng {{ $labels.link }} mất kết nối tại "
        "{{ $labels.device }} cổng {{ $labels.ifName }} trong khi cổng vẫn được bật và không "
        "đầu nào của đường truyền hoạt động: các đơn vị phía sau bị cô lập, cảnh báo của họ "
        "được tạm giữ cho tới khi đường truyền phục hồi."
    ),
)

# The ICMP probe of the device at a line's far end: a device with exactly one end on the
# dedicated data network (a core router has many, and its probe says nothing of one line).
_FAR_END = f"""netwarden_link_info{{{DDN}}}
and on(device) (count by (device) (netwarden_link_info{{{DDN}}}) == 1)"""


def _degraded(symptom: tuple[str, str], condition: str, summary: str, summary_vi: str) -> AlertSpec:
    """One symptom (label value, Vietnamese word) of a degraded line."""
    return AlertSpec(
        alert="NetwardenLinkDegraded",
        expr=f"({condition})\n* on(device) group_left(link, kind) (\n  "
        + _FAR_END.replace("\n", "\n  ")
        + "\n)",
        incident=INCIDENT_LINK,
        params={"loss_ratio": "ratio", "rtt_p95_seconds": "number", "jitter_seconds": "number"},
        labels={"symptom": symptom[0]},
        summary=summary,
        summary_vi=summary_vi,
        description=(
            "ICMP probes of {{ $labels.device }} across line {{ $labels.link }} show "
            f"{symptom[0]} over the threshold (loss <<loss_ratio:percent>>, "
            "RTT p95 <<rtt_p95_seconds>> s, jitter <<jitter_seconds>> s) for <<for>>."
        ),
        description_vi=(
            "Thăm dò ICMP tới {{ $labels.device }} qua đường truyền {{ $labels.link }} cho "
            f"thấy {symptom[1]} vượt ngưỡng (mất gói <<loss_ratio:percent>>, "
            "RTT p95 <<rtt_p95_seconds>> s, jitter <<jitter_seconds>> s) trong <<for>>."
        ),
    )


LINK_LOSS = _degraded(
    ("loss", "mất gói"),
    # Total loss is not degradation: the line or the device is down (other rules).
    'netwarden_probe_icmp_loss_ratio{probe="icmp"} > <<loss_ratio>> < 1',
    "Line {{ $labels.link }} loses {{ $value | humanizePercentage }} of packets",
    "Đường truyền {{ $labels.link }} mất {{ $value | humanizePercentage }} gói tin",
)
LINK_LATENCY = _degraded(
    ("latency", "độ trễ"),
    'netwarden_probe_icmp_rtt_seconds{probe="icmp", stat="p95"} > <<rtt_p95_seconds>>',
    "Line {{ $labels.link }} is slow: RTT p95 {{ $value | humanizeDuration }}",
    "Đường truyền {{ $labels.link }} chậm: RTT p95 {{ $value | humanizeDuration }}",
)
LINK_JITTER = _degraded(
    ("jitter", "dao động trễ"),
    'netwarden_probe_icmp_jitter_seconds{probe="icmp"} > <<jitter_seconds>>',
    "Line {{ $labels.link }} jitters by {{ $value | humanizeDuration }}",
    "Đường truyền {{ $labels.link }} dao động trễ {{ $value | humanizeDuration }}",
)

UTILISATION = RecordSpec(
    record="netwarden:link_utilisation:ratio",
    # Both directions against ifHighSpeed (Mbit/s); the 32-bit counters where a device has no
    # 64-bit ones. An interface reporting speed 0 has no utilisation rather than an infinite one.
    expr=on_links(
        """(
  label_replace((rate(ifHCInOctets[<<rate_window>>]) or rate(ifInOctets[<<rate_window>>])) * 8,
    "direction", "in", "", "")
  or
  label_replace((rate(ifHCOutOctets[<<rate_window>>]) or rate(ifOutOctets[<<rate_window>>])) * 8,
    "direction", "out", "", "")
)
/ on(device, ifIndex) group_left() (ifHighSpeed * 1e6 > 0)"""
    ),
)

UTILISATION_HIGH = AlertSpec(
    alert="NetwardenLinkUtilisationHigh",
    # Hysteresis: fires above `above`, and once pending or firing it holds until the ratio
    # falls below `clear_below`, so a line hovering at the threshold does not flap.
    expr="""
netwarden:link_utilisation:ratio > <<above>>
or
(
  netwarden:link_utilisation:ratio > <<clear_below>>
  and on(device, ifIndex, direction) ALERTS{alertname="NetwardenLinkUtilisationHigh"}
)
""",
    incident=INCIDENT_LINK,
    params={"above": "ratio", "clear_below": "ratio"},
    summary=(
        "Link {{ $labels.link }} is {{ $value | humanizePercentage }} full "
        "({{ $labels.direction }}, at {{ $labels.device }} {{ $labels.ifName }})"
    ),
    summary_vi=(
        "Đường truyền {{ $labels.link }} dùng {{ $value | humanizePercentage }} băng thông "
        "(chiều {{ $labels.direction }}, tại {{ $labels.device }} {{ $labels.ifName }})"
    ),
    description=(
        "Traffic {{ $labels.direction }} on {{ $labels.device }} {{ $labels.ifName }} has been "
        "above <<above:percent>> of ifHighSpeed for <<for>>; it clears below "
        "<<clear_below:percent>>."
    ),
    description_vi=(
        "Lưu lượng chiều {{ $labels.direction }} tại {{ $labels.device }} {{ $labels.ifName }} "
        "vượt <<above:percent>> băng thông (ifHighSpeed) trong <<for>>; cảnh báo hết khi "
        "xuống dưới <<clear_below:percent>>."
    ),
)


def _rates(ifin: str, ifout: str) -> str:
    rate_in = f'label_replace(rate({ifin}[<<rate_window>>]), "direction", "in", "", "")'
    rate_out = f'label_replace(rate({ifout}[<<rate_window>>]), "direction", "out", "", "")'
    return f"{rate_in} > <<per_second>>\nor\n{rate_out} > <<per_second>>"


ERRORS = AlertSpec(
    alert="NetwardenInterfaceErrors",
    expr=link_or_device(_rates("ifInErrors", "ifOutErrors")),
    incident=INCIDENT_LINK_OR_DEVICE,
    params={"per_second": "number"},
    summary=(
        "{{ $labels.device }} {{ $labels.ifName }}: {{ $value | humanize }} errors/s "
        "({{ $labels.direction }})"
    ),
    summary_vi=(
        "{{ $labels.device }} {{ $labels.ifName }}: {{ $value | humanize }} gói lỗi/giây "
        "(chiều {{ $labels.direction }})"
    ),
    description=(
        "Packets with errors on {{ $labels.device }} {{ $labels.ifName }} "
        "{{ with $labels.link }}(link {{ . }}) {{ end }}above <<per_second>>/s for <<for>>: "
        "a bad cable or optic, a duplex mismatch, interference."
    ),
    description_vi=(
        "Gói tin lỗi trên {{ $labels.device }} {{ $labels.ifName }} "
        "{{ with $labels.link }}(đường truyền {{ . }}) {{ end }}vượt <<per_second>>/giây "
        "trong <<for>>: cáp hoặc module quang hỏng, lệch duplex, nhiễu."
    ),
)

DISCARDS = AlertSpec(
    alert="NetwardenInterfaceDiscards",
    expr=link_or_device(_rates("ifInDiscards", "ifOutDiscards")),
    incident=INCIDENT_LINK_OR_DEVICE,
    params={"per_second": "number"},
    summary=(
        "{{ $labels.device }} {{ $labels.ifName }}: {{ $value | humanize }} discards/s "
        "({{ $labels.direction }})"
    ),
    summary_vi=(
        "{{ $labels.device }} {{ $labels.ifName }}: {{ $value | humanize }} gói bị hủy/giây "
        "(chiều {{ $labels.direction }})"
    ),
    description=(
        "Packets discarded on {{ $labels.device }} {{ $labels.ifName }} "
        "{{ with $labels.link }}(link {{ . }}) {{ end }}above <<per_second>>/s for <<for>>: "
        "usually congestion (full queues) or traffic the interface refuses."
    ),
    description_vi=(
        "Gói tin bị hủy trên {{ $labels.device }} {{ $labels.ifName }} "
        "{{ with $labels.link }}(đường truyền {{ . }}) {{ end }}vượt <<per_second>>/giây "
        "trong <<for>>: thường do nghẽn (hàng đợi đầy) hoặc lưu lượng bị cổng từ chối."
    ),
)

FLAPPING = AlertSpec(
    alert="NetwardenLinkFlapping",
    # ifLastChange catches flaps shorter than a poll, which ifOperStatus never shows; the
    # agent's linkDown/linkUp events (traps, syslog) catch them too, even from a device whose
    # ifLastChange is not reliable: each event moves its timestamp once, so a down-and-up is
    # two changes as with ifOperStatus. The events' series carry no ifDescr/ifAlias: they
    # count only for interfaces the polled series do not already alert for.
    expr=on_links(
        """(
  changes(ifOperStatus[<<window>>]) >= <<changes>>
  or
  changes(ifLastChange[<<window>>]) >= <<changes>>
)
or on(device, ifName)
sum without (event) (
  changes(netwarden_if_last_event_timestamp_seconds[<<window>>])
) >= <<changes>>"""
    ),
    incident=INCIDENT_LINK,
    params={"window": "duration", "changes": "number"},
    summary="Link {{ $labels.link }} is flapping at {{ $labels.device }} {{ $labels.ifName }}",
    summary_vi=(
        "Đường truyền {{ $labels.link }} chập chờn tại {{ $labels.device }} {{ $labels.ifName }}"
    ),
    description=(
        "{{ $labels.device }} {{ $labels.ifName }} changed state {{ $value }} times in "
        "<<window>> (at least <<changes>>)."
    ),
    description_vi=(
        "{{ $labels.device }} {{ $labels.ifName }} đổi trạng thái {{ $value }} lần trong "
        "<<window>> (ngưỡng <<changes>>)."
    ),
)

SPEED = RecordSpec(
    record="netwarden:link_speed:mbps",
    # Recorded for link ends only, so that the 7-day maximum below reads a few series.
    expr=on_links("ifHighSpeed > 0"),
)

SPEED_DOWNGRADED = AlertSpec(
    alert="NetwardenLinkSpeedDowngraded",
    expr="""
netwarden:link_speed:mbps
< on(device, ifIndex) group_left()
  max by (device, ifIndex) (max_over_time(netwarden:link_speed:mbps[<<window>>]))
and on(device, ifIndex) ifOperStatus == 1
""",
    incident=INCIDENT_LINK,
    params={"window": "duration"},
    summary=(
        "Link {{ $labels.link }} runs at {{ $value }} Mbit/s at {{ $labels.device }} "
        "{{ $labels.ifName }}, below its usual speed"
    ),
    summary_vi=(
        "Đường truyền {{ $labels.link }} chỉ chạy {{ $value }} Mbit/s tại {{ $labels.device }} "
        "{{ $labels.ifName }}, thấp hơn tốc độ thường ngày"
    ),
    description=(
        "ifHighSpeed of {{ $labels.device }} {{ $labels.ifName }} is below its maximum of the "
        "last <<window>>: the port negotiated a lower speed (a cable, an optic, the far end)."
    ),
    description_vi=(
        "ifHighSpeed của {{ $labels.device }} {{ $labels.ifName }} thấp hơn mức cao nhất trong "
        "<<window>> qua: cổng tự thỏa thuận tốc độ thấp hơn (cáp, module quang, đầu xa)."
    ),
)

GROUP = GroupSpec(
    name="netwarden-links",
    file="netwarden-links.yml",
    title="links and interfaces: down, degraded, utilisation, errors, discards, flaps, speed",
    rules=(
        LINK_DOWN,
        LINK_LOSS,
        LINK_LATENCY,
        LINK_JITTER,
        UTILISATION,
        UTILISATION_HIGH,
        ERRORS,
        DISCARDS,
        FLAPPING,
        SPEED,
        SPEED_DOWNGRADED,
    ),
)
