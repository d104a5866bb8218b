"""Wi-Fi và camera: access points and cameras by group (their site) — how many answer, loss,
and the TCP checks of their services (RTSP, web)."""

from __future__ import annotations

from netwarden.grafana.kit import (
    UP_DOWN,
    Column,
    PanelBuilder,
    bar_gauge_panel,
    label_variable,
    query,
    stat_panel,
    table_panel,
    thresholds,
    timeseries_panel,
)
from netwarden.grafana.layout import Board

S = 'site=~"$site"'
ICMP = f'probe="icmp", {S}'
SHARE = thresholds((None, "red"), (80, "orange"), (95, "green"))


def _answering(role: str, title: str) -> PanelBuilder:
    return stat_panel(
        title,
        [
            query(
                f'sum(netwarden_probe_success{{{ICMP}, role="{role}"}})', "trả lời", instant=True
            ),
            query(
                f'count(netwarden_probe_success{{{ICMP}, role="{role}"}})',
                "tổng",
                ref="B",
                instant=True,
            ),
        ],
    )


def board() -> Board:
    b = Board(
        "netwarden-wifi-cameras",
        "Wi-Fi và camera",
        "Điểm phát Wi-Fi và camera theo nhóm (site): số thiết bị trả lời ping, mất gói, "
        "kiểm tra TCP các dịch vụ (RTSP, web).",
        [
            label_variable(
                "site",
                "Nhóm (site)",
                'label_values(netwarden_probe_success{role=~"camera|ap"}, site)',
            )
        ],
    )
    b.row("Tổng quan")
    b.add(_answering("camera", "Camera trả lời ping"), 6, 4)
    b.add(_answering("ap", "Điểm phát Wi-Fi trả lời ping"), 6, 4)
    b.add(
        stat_panel(
            "Dịch vụ TCP đạt",
            [
                query(f'sum(netwarden_probe_success{{probe="tcp", {S}}})', "đạt", instant=True),
                query(
                    f'count(netwarden_probe_success{{probe="tcp", {S}}})',
                    "tổng",
                    ref="B",
                    instant=True,
                ),
            ],
        ),
        12,
        4,
    )
    b.row("Theo nhóm")
    b.add(
        bar_gauge_panel(
            "Camera trả lời theo nhóm",
            [
                query(
                    f'100 * avg by (site) (netwarden_probe_success{{{ICMP}, role="camera"}})',
                    "{{site}}",
                    instant=True,
                )
            ],
            "percent",
            steps=SHARE,
        ),
        12,
        8,
    )
    b.add(
        bar_gauge_panel(
            "Điểm phát Wi-Fi trả lời theo nhóm",
            [
                query(
                    f'100 * avg by (site) (netwarden_probe_success{{{ICMP}, role="ap"}})',
                    "{{site}}",
                    instant=True,
                )
            ],
            "percent",
            steps=SHARE,
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Mất gói ICMP theo nhóm",
            [
                query(
                    "avg by (site, role)"
                    f' (netwarden_probe_icmp_loss_ratio{{{ICMP}, role=~"camera|ap"}})',
                    "{{site}} {{role}}",
                )
            ],
            "percentunit",
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Kiểm tra TCP (RTSP, web)",
            [query(f'netwarden_probe_success{{probe="tcp", {S}}}', "{{service}}")],
        ),
        12,
        8,
    )
    b.row("Từng thiết bị")
    b.add(
        table_panel(
            "Camera và điểm phát Wi-Fi",
            [
                Column(
                    "Ping",
                    f"max by (site, device, role) (netwarden_probe_success{{{ICMP},"
                    f' role=~"camera|ap"}})',
                    mappings=[UP_DOWN],
                ),
                Column(
                    "Mất gói",
                    f"max by (site, device, role) (netwarden_probe_icmp_loss_ratio"
                    f'{{{ICMP}, role=~"camera|ap"}})',
                    "percentunit",
                ),
                Column(
                    "RTT",
                    f"max by (site, device, role) (netwarden_probe_icmp_rtt_seconds"
                    f'{{{ICMP}, role=~"camera|ap", stat="avg"}})',
                    "s",
                ),
            ],
        ),
        24,
        8,
    )
    return b
