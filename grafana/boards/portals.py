"""Cổng thông tin: the e-government portals' HTTP checks — up or not, status code, where the
time goes (phases), TLS certificate days left, failures by reason."""

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

SVC = 'service=~"$service"'
HTTP = f'probe="http", {SVC}'
DAYS = thresholds((None, "red"), (1, "orange"), (14, "yellow"), (30, "green"))


def _by_service(expr: str) -> str:
    return f"max by (service, target) ({expr})"


def board() -> Board:
    b = Board(
        "netwarden-portals",
        "Cổng thông tin",
        "Các cổng thông tin điện tử: hoạt động hay không, mã trạng thái HTTP, thời gian theo "
        "giai đoạn, số ngày còn lại của chứng thư TLS, lỗi theo nguyên nhân.",
        [
            label_variable(
                "service", "Cổng", 'label_values(netwarden_probe_success{probe="http"}, service)'
            )
        ],
    )
    b.row("Trạng thái")
    b.add(
        stat_panel(
            "Cổng hoạt động",
            [
                query(f"sum(netwarden_probe_success{{{HTTP}}})", "đạt", instant=True),
                query(f"count(netwarden_probe_success{{{HTTP}}})", "tổng", ref="B", instant=True),
            ],
        ),
        6,
        8,
    )
    b.add(
        table_panel(
            "Từng cổng",
            [
                Column(
                    "Kiểm tra",
                    _by_service(f"netwarden_probe_success{{{HTTP}}}"),
                    mappings=[OK_FAILED],
                ),
                Column("Mã HTTP", _by_service(f"netwarden_probe_http_status_code{{{SVC}}}")),
                Column(
                    "Thời gian", _by_service(f"netwarden_probe_duration_seconds{{{HTTP}}}"), "s"
                ),
                Column(
                    "Chứng thư hợp lệ",
                    _by_service(f"netwarden_probe_tls_verified{{{SVC}}}"),
                    mappings=[OK_FAILED],
                ),
                Column(
                    "Chứng thư còn (ngày)", _by_service(f"netwarden_probe_tls_days_left{{{SVC}}}")
                ),
            ],
        ),
        18,
        8,
    )
    b.add(
        bar_gauge_panel(
            "Số ngày còn lại của chứng thư TLS",
            [query(f"netwarden_probe_tls_days_left{{{SVC}}}", "{{service}}", instant=True)],
            "d",
            steps=DAYS,
        ),
        24,
        6,
    )
    b.row("Hiệu năng và lỗi")
    b.add(
        timeseries_panel(
            "Thời gian theo giai đoạn",
            [query(f"netwarden_probe_http_phase_seconds{{{SVC}}}", "{{service}} {{phase}}")],
            "s",
            stacked=True,
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Mã trạng thái HTTP",
            [query(f"netwarden_probe_http_status_code{{{SVC}}}", "{{service}}")],
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Lỗi theo nguyên nhân (1 giờ)",
            [
                query(
                    "sum by (service, reason)"
                    f" (increase(netwarden_probe_failures_total{{{HTTP}}}[1h]))",
                    "{{service}} {{reason}}",
                )
            ],
        ),
        24,
        8,
    )
    return b
