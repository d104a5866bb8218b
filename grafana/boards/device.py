"""Thiết bị và cổng: one device — SNMP, uptime, ICMP, software — and its interfaces: bits/s
against ifHighSpeed, errors, discards, state."""

from __future__ import annotations

from netwarden.grafana.kit import (
    IF_ADMIN_STATUS,
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

D = 'device="$device"'
IF = f'{D}, ifName=~"$ifname"'
R = "[$__rate_interval]"
NAME = "{{ifName}}"


def _rate_bits(counter: str) -> str:
    return f"rate({counter}{{{IF}}}{R}) * 8"


def _utilisation(counter: str) -> str:
    return f"{_rate_bits(counter)} / (ifHighSpeed{{{IF}}} * 1e6 > 0) * 100"


def _by_interface(expr: str) -> str:
    return f"max by (ifIndex, ifName, ifAlias) ({expr})"


def board() -> Board:
    b = Board(
        "netwarden-device",
        "Thiết bị và cổng",
        "Một thiết bị: SNMP, thời gian hoạt động, ICMP, phần mềm; từng cổng: lưu lượng so với "
        "ifHighSpeed, lỗi, gói bị huỷ, trạng thái.",
        [
            label_variable("site", "Đơn vị (site)", "label_values(netwarden_device_up, site)"),
            label_variable(
                "device",
                "Thiết bị",
                'label_values(netwarden_device_up{site=~"$site"}, device)',
                multi=False,
                include_all=False,
            ),
            label_variable(
                "ifname", "Cổng (ifName)", 'label_values(ifOperStatus{device="$device"}, ifName)'
            ),
        ],
    )
    b.row("Thiết bị")
    b.add(
        stat_panel(
            "SNMP", [query(f"netwarden_device_up{{{D}}}", instant=True)], mappings=[UP_DOWN]
        ),
        4,
        4,
    )
    b.add(
        stat_panel(
            "Thời gian hoạt động (sysUpTime)", [query(f"sysUpTime{{{D}}} / 100", instant=True)], "s"
        ),
        4,
        4,
    )
    b.add(
        stat_panel(
            "Thời gian poll SNMP",
            [query(f"netwarden_snmp_poll_duration_seconds{{{D}}}", instant=True)],
            "s",
        ),
        4,
        4,
    )
    b.add(
        stat_panel(
            "Lỗi SNMP trong 1 giờ",
            [query(f"sum(increase(netwarden_snmp_poll_errors_total{{{D}}}[1h]))", instant=True)],
            steps=thresholds((None, "green"), (1, "orange")),
        ),
        4,
        4,
    )
    b.add(
        stat_panel(
            "Mất gói ICMP",
            [query(f'netwarden_probe_icmp_loss_ratio{{probe="icmp", {D}}}', instant=True)],
            "percentunit",
            steps=thresholds((None, "green"), (0.05, "orange")),
        ),
        4,
        4,
    )
    b.add(
        stat_panel(
            "RTT ICMP trung bình",
            [query(f'netwarden_probe_icmp_rtt_seconds{{stat="avg", {D}}}', instant=True)],
            "s",
        ),
        4,
        4,
    )
    b.add(
        table_panel(
            "Phần mềm và phần cứng (SSH)",
            [
                Column(
                    "Thời gian hoạt động (SSH)",
                    "max by (platform, os_version, model, serial) ("
                    f"netwarden_ssh_device_info{{{D}}}"
                    f" * on(device) group_left() netwarden_ssh_device_uptime_seconds{{{D}}})",
                    "s",
                ),
            ],
        ),
        24,
        4,
    )
    b.row("Cổng")
    b.add(
        timeseries_panel("Lưu lượng vào", [query(_rate_bits("ifHCInOctets"), NAME)], "bps"), 12, 8
    )
    b.add(
        timeseries_panel("Lưu lượng ra", [query(_rate_bits("ifHCOutOctets"), NAME)], "bps"), 12, 8
    )
    b.add(
        timeseries_panel(
            "Mức sử dụng so với ifHighSpeed",
            [
                query(_utilisation("ifHCInOctets"), f"{NAME} vào"),
                query(_utilisation("ifHCOutOctets"), f"{NAME} ra", ref="B"),
            ],
            "percent",
        ),
        24,
        8,
    )
    b.add(
        timeseries_panel(
            "Lỗi (gói/s)",
            [
                query(f"rate(ifInErrors{{{IF}}}{R})", f"{NAME} vào"),
                query(f"rate(ifOutErrors{{{IF}}}{R})", f"{NAME} ra", ref="B"),
            ],
            "pps",
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Gói bị huỷ (gói/s)",
            [
                query(f"rate(ifInDiscards{{{IF}}}{R})", f"{NAME} vào"),
                query(f"rate(ifOutDiscards{{{IF}}}{R})", f"{NAME} ra", ref="B"),
            ],
            "pps",
        ),
        12,
        8,
    )
    b.add(
        state_timeline_panel(
            "Trạng thái cổng (ifOperStatus)",
            [query(f"ifOperStatus{{{IF}}}", NAME)],
            [IF_OPER_STATUS],
        ),
        24,
        8,
    )
    b.add(
        table_panel(
            "Các cổng",
            [
                Column(
                    "ifOperStatus",
                    _by_interface(f"ifOperStatus{{{IF}}}"),
                    mappings=[IF_OPER_STATUS],
                ),
                Column(
                    "ifAdminStatus",
                    _by_interface(f"ifAdminStatus{{{IF}}}"),
                    mappings=[IF_ADMIN_STATUS],
                ),
                Column("Tốc độ", _by_interface(f"ifHighSpeed{{{IF}}} * 1e6"), "bps"),
                Column("Vào", _by_interface(_rate_bits("ifHCInOctets")), "bps"),
                Column("Ra", _by_interface(_rate_bits("ifHCOutOctets")), "bps"),
            ],
        ),
        24,
        8,
    )
    return b
