"""Khả dụng: the availability report's figures for the time range on screen — per
dedicated-data-network link at its core end, and each agency's reachability from the core
side — with the report's own PromQL (netwarden.reports.promql)."""

from __future__ import annotations

from netwarden.grafana.kit import (
    AGENTS_JOB,
    DDN,
    Column,
    bar_gauge_panel,
    label_variable,
    query,
    state_timeline_panel,
    table_panel,
    text_panel,
    thresholds,
    value_map,
)
from netwarden.grafana.layout import Board
from netwarden.reports import promql

STEP = 60  # s: the report's default resolution; one step is one minute
SUB = f"[$__range:{STEP}s]"
CORE_ENDS = 'site=~"$core_site"'  # link ends (and their devices) at the core
UP = value_map([("1", "up", "green"), ("0", "down", "red")])
PERCENT = thresholds((None, "red"), (99, "orange"), (99.9, "green"))
REACH = (
    'max by (site) (netwarden_probe_success{probe="icmp", agent=~"$core_agent",'
    ' site!~"$core_site"})'
)
NOTE = """Các con số ở đây tính trong khoảng thời gian đang xem, mỗi phút một lần, bằng đúng
các biểu thức PromQL của báo cáo. Báo cáo tháng (giờ Việt Nam), có loại trừ thời gian bảo
trì, khả dụng theo cơ quan và thời gian sự cố dài nhất:

```
netwarden report availability --month 2025-06 --prometheus URL -i INVENTORY --collector URL
```

*Khả dụng* = thời gian up / thời gian có dữ liệu; thời gian không có dữ liệu tính riêng."""


def _state(offset: int = 0) -> str:
    return promql.state_of_links(CORE_ENDS, CORE_ENDS, offset)


def board() -> Board:
    now, before = _state(), _state(STEP)
    starts = promql.outage_starts(now, before)
    b = Board(
        "netwarden-availability",
        "Khả dụng",
        "Khả dụng của từng đường truyền TSLCD (đo ở đầu lõi) và khả năng kết nối tới từng đơn "
        "vị từ phía lõi, trong khoảng thời gian đang xem.",
        [
            label_variable(
                "core_site",
                "Site lõi",
                f'label_values(netwarden_link_info{{kind="{DDN}"}}, site)',
                multi=False,
                include_all=False,
            ),
            label_variable(
                "core_agent",
                "Agent phía lõi",
                f'label_values(up{{job="{AGENTS_JOB}", site=~"$core_site"}}, agent)',
            ),
        ],
        time_from="now-30d",
    )
    b.add(text_panel("Cách đọc", NOTE), 24, 6)
    b.row("Đường truyền TSLCD (đầu lõi)")
    b.add(
        table_panel(
            "Từng đường truyền",
            [
                Column("Khả dụng", f"100 * avg_over_time(({now}){SUB})", "percent"),
                Column("Down (phút)", f"sum_over_time(({now} == bool 0){SUB})"),
                Column(
                    "Không có dữ liệu (phút)",
                    f"scalar(count_over_time(vector(1){SUB})) - count_over_time(({now}){SUB})",
                ),
                Column("Số lần sự cố", f"count_over_time(({starts}){SUB}) or ({now}) * 0"),
            ],
        ),
        24,
        8,
    )
    b.add(
        bar_gauge_panel(
            "Khả dụng",
            [query(f"100 * avg_over_time(({now}){SUB})", "{{link}}", instant=True)],
            "percent",
            steps=PERCENT,
        ),
        12,
        8,
    )
    b.add(state_timeline_panel("Trạng thái", [query(now, "{{link}}")], [UP]), 12, 8)
    b.row("Đơn vị, từ phía lõi")
    b.add(
        bar_gauge_panel(
            "Trả lời ping từ phía lõi",
            [query(f"100 * avg_over_time(({REACH}){SUB})", "{{site}}", instant=True)],
            "percent",
            steps=PERCENT,
        ),
        24,
        8,
    )
    return b
