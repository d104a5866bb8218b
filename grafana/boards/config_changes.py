"""Thay đổi cấu hình: configuration backups and the changes they found."""

from __future__ import annotations

from netwarden.grafana.kit import (
    OK_FAILED,
    Column,
    label_variable,
    query,
    stat_panel,
    state_timeline_panel,
    table_panel,
    thresholds,
    timeseries_panel,
    value_map,
)
from netwarden.grafana.layout import Board

S = 'site=~"$site"'
BY_DEVICE = "max by (site, device)"
CHANGED = value_map([("0", "không đổi", "green"), ("1", "đã thay đổi", "orange")])


def board() -> Board:
    b = Board(
        "netwarden-config-changes",
        "Thay đổi cấu hình",
        "Sao lưu cấu hình thiết bị và các thay đổi chúng phát hiện.",
        [
            label_variable(
                "site", "Đơn vị (site)", "label_values(netwarden_config_backup_success, site)"
            )
        ],
    )
    b.row("Thay đổi")
    b.add(
        table_panel(
            "Thay đổi chưa ghi nhận",
            [
                Column(
                    "Thay đổi lúc",
                    f"{BY_DEVICE} (netwarden_config_last_change_timestamp_seconds"
                    f"{{{S}}} * 1000 and on(device) netwarden_config_changed{{{S}}} == 1)",
                    "dateTimeAsIso",
                ),
            ],
            "Cấu hình đang chạy khác bản sao lưu trước mà không được ghi nhận bằng "
            "`netwarden config backup`. Xem thay đổi: `netwarden config diff THIẾT_BỊ`.",
        ),
        12,
        6,
    )
    b.add(
        stat_panel(
            "Sao lưu lỗi",
            [
                query(
                    f"count(netwarden_config_backup_success{{{S}}} == 0) or vector(0)", instant=True
                )
            ],
            steps=thresholds((None, "green"), (1, "red")),
        ),
        12,
        6,
    )
    b.add(
        state_timeline_panel(
            "Cấu hình thay đổi",
            [query(f"netwarden_config_changed{{{S}}}", "{{device}}")],
            [CHANGED],
        ),
        24,
        7,
    )
    b.add(
        timeseries_panel(
            "Số thay đổi trong khoảng đang xem",
            [
                query(
                    f"sum by (device) (increase(netwarden_config_changes_total{{{S}}}[$__range]))",
                    "{{device}}",
                )
            ],
        ),
        24,
        7,
    )
    b.row("Sao lưu")
    b.add(
        table_panel(
            "Từng thiết bị",
            [
                Column(
                    "Sao lưu cuối",
                    f"{BY_DEVICE} (netwarden_config_backup_success{{{S}}})",
                    mappings=[OK_FAILED],
                ),
                Column(
                    "Sao lưu thành công, cách đây",
                    f"{BY_DEVICE} (time() - netwarden_config_last_backup_timestamp_seconds{{{S}}})",
                    "s",
                ),
                Column(
                    "Thay đổi gần nhất",
                    f"{BY_DEVICE} (netwarden_config_last_change_timestamp_seconds{{{S}}} * 1000)",
                    "dateTimeAsIso",
                ),
            ],
        ),
        24,
        8,
    )
    return b
