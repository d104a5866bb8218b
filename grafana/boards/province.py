"""Tổng quan tỉnh: every agency at a glance — its agent, devices, dedicated-data-network link,
ICMP loss and round-trip time — and the incidents still open."""

from __future__ import annotations

from netwarden.grafana.kit import (
    AGENTS_JOB,
    DDN,
    IF_OPER_STATUS,
    UP_DOWN,
    Column,
    label_variable,
    query,
    stat_panel,
    state_timeline_panel,
    table_panel,
    thresholds,
    timeseries_panel,
)
from netwarden.grafana.layout import Board

S = 'site=~"$site"'
# Each link end's state, labelled with its link (both ends where both are polled).
LINK_ENDS = (
    f"ifOperStatus{{{S}}} * on(device, ifName) group_left(link)"
    f' max by (device, ifName, link) (netwarden_link_info{{kind="{DDN}"}})'
)
OPEN = 'status=~"open|acknowledged"'
RED_FROM_1 = thresholds((None, "green"), (1, "red"))


def board() -> Board:
    b = Board(
        "netwarden-province",
        "Tổng quan tỉnh",
        "Mọi cơ quan: agent, thiết bị, đường truyền TSLCD, mất gói, RTT, sự cố đang mở.",
        [label_variable("site", "Đơn vị (site)", "label_values(netwarden_device_up, site)")],
    )
    b.row("Toàn tỉnh")
    b.add(
        stat_panel(
            "Thiết bị trả lời SNMP",
            [
                query(f"sum(netwarden_device_up{{{S}}})", "trả lời", instant=True),
                query(f"count(netwarden_device_up{{{S}}})", "tổng", ref="B", instant=True),
            ],
        ),
        6,
        4,
    )
    b.add(
        stat_panel(
            "Thiết bị không trả lời",
            [query(f"sum(1 - netwarden_device_up{{{S}}})", instant=True)],
            steps=RED_FROM_1,
        ),
        4,
        4,
    )
    b.add(
        stat_panel(
            "Đầu đường truyền TSLCD không up",
            [query(f"count(({LINK_ENDS}) != 1) or vector(0)", instant=True)],
            steps=RED_FROM_1,
        ),
        5,
        4,
    )
    b.add(
        stat_panel(
            "Agent Prometheus không scrape được",
            [query(f'count(up{{job="{AGENTS_JOB}", {S}}} == 0) or vector(0)', instant=True)],
            steps=RED_FROM_1,
        ),
        5,
        4,
    )
    b.add(
        stat_panel(
            "Sự cố đang mở",
            [query(f"sum(netwarden_incidents{{{OPEN}}})", instant=True)],
            steps=RED_FROM_1,
        ),
        4,
        4,
    )
    b.row("Các cơ quan")
    b.add(
        table_panel(
            "Từng đơn vị",
            [
                Column(
                    "Agent", f'max by (site) (up{{job="{AGENTS_JOB}", {S}}})', mappings=[UP_DOWN]
                ),
                Column("Thiết bị OK", f"sum by (site) (netwarden_device_up{{{S}}})"),
                Column("Tổng thiết bị", f"count by (site) (netwarden_device_up{{{S}}})"),
                Column(
                    "Đường truyền (đầu tại đơn vị)",
                    f"min by (site) ({LINK_ENDS})",
                    mappings=[IF_OPER_STATUS],
                ),
                Column(
                    "Mất gói ICMP lớn nhất",
                    f"max by (site) (netwarden_probe_icmp_loss_ratio{{{S}}})",
                    "percentunit",
                ),
                Column(
                    "RTT trung bình lớn nhất",
                    f'max by (site) (netwarden_probe_icmp_rtt_seconds{{stat="avg", {S}}})',
                    "s",
                ),
            ],
            "Đường truyền: ifOperStatus của các đầu đường truyền TSLCD mà agent của đơn vị poll; "
            "khi đường truyền đứt, agent ở cơ quan không scrape được và cột này trống.",
        ),
        24,
        8,
    )
    b.row("Theo thời gian")
    b.add(
        state_timeline_panel(
            "Trạng thái đường truyền TSLCD",
            [query(f"min by (link) ({LINK_ENDS})", "{{link}}")],
            [IF_OPER_STATUS],
        ),
        24,
        7,
    )
    b.add(
        timeseries_panel(
            "Mất gói ICMP theo đơn vị",
            [query(f"max by (site) (netwarden_probe_icmp_loss_ratio{{{S}}})", "{{site}}")],
            "percentunit",
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "RTT trung bình theo đơn vị",
            [
                query(
                    f'max by (site) (netwarden_probe_icmp_rtt_seconds{{stat="avg", {S}}})',
                    "{{site}}",
                )
            ],
            "s",
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Thiết bị không trả lời theo đơn vị",
            [query(f"sum by (site) (1 - netwarden_device_up{{{S}}})", "{{site}}")],
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Sự cố đang mở theo mức độ",
            [query(f"sum by (severity) (netwarden_incidents{{{OPEN}}})", "{{severity}}")],
        ),
        12,
        8,
    )
    b.add(
        table_panel(
            "Sự cố chưa xác nhận",
            [
                Column(
                    "Chưa xác nhận",
                    "max by (incident_id, severity, site) "
                    f"(netwarden_incident_unacknowledged_seconds{{{S}}})",
                    "s",
                ),
            ],
        ),
        24,
        6,
    )
    return b
