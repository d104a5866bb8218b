"""Mạng truyền số liệu chuyên dùng: each dedicated-data-network link, at both ends where both
are polled — state, traffic against ifHighSpeed, errors and discards."""

from __future__ import annotations

from netwarden.grafana.kit import (
    DDN,
    IF_ADMIN_STATUS,
    IF_OPER_STATUS,
    Column,
    label_variable,
    query,
    state_timeline_panel,
    table_panel,
    timeseries_panel,
)
from netwarden.grafana.layout import Board

INFO = f'max by (device, ifName, link) (netwarden_link_info{{kind="{DDN}", link=~"$link"}})'
JOIN = f"* on(device, ifName) group_left(link) {INFO}"
END = "{{link}} · {{device}} {{ifName}}"
R = "[$__rate_interval]"


def _bits(counter: str) -> str:
    return f"rate({counter}{R}) * 8 {JOIN}"


def _utilisation(counter: str) -> str:
    return f"rate({counter}{R}) * 8 / (ifHighSpeed * 1e6 > 0) * 100 {JOIN}"


def board() -> Board:
    b = Board(
        "netwarden-ddn-links",
        "Mạng truyền số liệu chuyên dùng",
        "Từng đường truyền TSLCD: trạng thái, lưu lượng so với ifHighSpeed, lỗi và gói bị huỷ.",
        [
            label_variable(
                "link", "Đường truyền", f'label_values(netwarden_link_info{{kind="{DDN}"}}, link)'
            )
        ],
    )
    b.row("Trạng thái")
    b.add(
        state_timeline_panel(
            "Trạng thái từng đầu (ifOperStatus)",
            [query(f"ifOperStatus {JOIN}", END)],
            [IF_OPER_STATUS],
        ),
        24,
        8,
    )
    b.add(
        table_panel(
            "Các đầu đường truyền",
            [
                Column(
                    "ifOperStatus",
                    f"max by (link, device, ifName) (ifOperStatus {JOIN})",
                    mappings=[IF_OPER_STATUS],
                ),
                Column(
                    "ifAdminStatus",
                    f"max by (link, device, ifName) (ifAdminStatus {JOIN})",
                    mappings=[IF_ADMIN_STATUS],
                ),
                Column(
                    "Tốc độ (ifHighSpeed)",
                    f"max by (link, device, ifName) (ifHighSpeed * 1e6 {JOIN})",
                    "bps",
                ),
                Column(
                    "Đổi trạng thái lần cuối, cách đây",
                    "max by (link, device, ifName) ((ifLastChange - on(device) group_left()"
                    f" max by (device) (sysUpTime)) / -100 {JOIN})",
                    "s",
                ),
            ],
        ),
        24,
        7,
    )
    b.row("Lưu lượng")
    b.add(timeseries_panel("Lưu lượng vào", [query(_bits("ifHCInOctets"), END)], "bps"), 12, 8)
    b.add(timeseries_panel("Lưu lượng ra", [query(_bits("ifHCOutOctets"), END)], "bps"), 12, 8)
    b.add(
        timeseries_panel(
            "Mức sử dụng so với ifHighSpeed",
            [
                query(_utilisation("ifHCInOctets"), f"{END} vào"),
                query(_utilisation("ifHCOutOctets"), f"{END} ra", ref="B"),
            ],
            "percent",
        ),
        24,
        8,
    )
    b.row("Lỗi")
    b.add(
        timeseries_panel(
            "Lỗi (gói/s)",
            [query(f"(rate(ifInErrors{R}) + rate(ifOutErrors{R})) {JOIN}", END)],
            "pps",
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Gói bị huỷ (gói/s)",
            [query(f"(rate(ifInDiscards{R}) + rate(ifOutDiscards{R})) {JOIN}", END)],
            "pps",
        ),
        12,
        8,
    )
    return b
