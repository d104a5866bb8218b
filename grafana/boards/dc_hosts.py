"""Máy chủ trung tâm dữ liệu: the data centre's hosts — CPU (HOST-RESOURCES), memory, load,
disks (over SNMP and SSH), failed systemd units."""

from __future__ import annotations

from netwarden.grafana.kit import (
    OK_FAILED,
    Column,
    bar_gauge_panel,
    label_variable,
    query,
    stat_panel,
    table_panel,
    thresholds,
    timeseries_panel,
)
from netwarden.grafana.layout import Board

H = 'device=~"$host"'
DEV = "{{device}}"
FULL = thresholds((None, "green"), (80, "orange"), (90, "red"))


def board() -> Board:
    b = Board(
        "netwarden-dc-hosts",
        "Máy chủ trung tâm dữ liệu",
        "Máy chủ ở trung tâm dữ liệu: CPU, bộ nhớ, tải, đĩa (SNMP và SSH), unit systemd lỗi.",
        [
            label_variable(
                "host", "Máy chủ", 'label_values(netwarden_device_up{role="host"}, device)'
            )
        ],
    )
    b.row("Tình trạng")
    b.add(
        stat_panel(
            "SSH", [query(f"min(netwarden_ssh_up{{{H}}})", instant=True)], mappings=[OK_FAILED]
        ),
        6,
        4,
    )
    b.add(
        stat_panel(
            "Máy chủ chạy systemd",
            [
                query(f"sum(netwarden_host_systemd_available{{{H}}})", "có systemd", instant=True),
                query(
                    f"count(netwarden_host_systemd_available{{{H}}})", "tổng", ref="B", instant=True
                ),
            ],
        ),
        6,
        4,
    )
    b.add(
        stat_panel(
            "Unit systemd lỗi",
            [query(f"sum(netwarden_host_systemd_units_failed{{{H}}})", instant=True)],
            steps=thresholds((None, "green"), (1, "red")),
        ),
        6,
        4,
    )
    b.add(
        table_panel(
            "Các unit systemd lỗi",
            [
                Column(
                    "Lỗi", f"max by (device, unit) (netwarden_host_systemd_unit_failed{{{H}}} == 1)"
                ),
            ],
        ),
        6,
        4,
    )
    b.row("CPU, bộ nhớ, tải")
    b.add(
        timeseries_panel(
            "CPU (hrProcessorLoad)",
            [query(f"avg by (device) (hrProcessorLoad{{{H}}})", DEV)],
            "percent",
        ),
        8,
        8,
    )
    b.add(
        timeseries_panel(
            "Bộ nhớ đang dùng",
            [
                query(
                    f"100 * (1 - netwarden_host_memory_available_bytes{{{H}}}"
                    f" / netwarden_host_memory_total_bytes{{{H}}})",
                    DEV,
                )
            ],
            "percent",
        ),
        8,
        8,
    )
    b.add(
        timeseries_panel(
            "Tải (load average)",
            [
                query(f"netwarden_host_load1{{{H}}}", f"{DEV} 1m"),
                query(f"netwarden_host_load5{{{H}}}", f"{DEV} 5m", ref="B"),
                query(f"netwarden_host_load15{{{H}}}", f"{DEV} 15m", ref="C"),
            ],
        ),
        8,
        8,
    )
    b.row("Đĩa")
    b.add(
        bar_gauge_panel(
            "Phân vùng đã dùng (SNMP hrStorage)",
            [
                query(
                    f'100 * hrStorageUsed{{{H}, hrStorageDescr=~"/.*"}}'
                    f' / (hrStorageSize{{{H}, hrStorageDescr=~"/.*"}} > 0)',
                    f"{DEV} {{{{hrStorageDescr}}}}",
                    instant=True,
                )
            ],
            "percent",
            steps=FULL,
        ),
        12,
        8,
    )
    b.add(
        bar_gauge_panel(
            "Hệ thống tệp đã dùng (SSH df)",
            [
                query(
                    f"100 * netwarden_host_filesystem_used_bytes{{{H}}}"
                    f" / (netwarden_host_filesystem_size_bytes{{{H}}} > 0)",
                    f"{DEV} {{{{mountpoint}}}}",
                    instant=True,
                )
            ],
            "percent",
            steps=FULL,
        ),
        12,
        8,
    )
    return b
