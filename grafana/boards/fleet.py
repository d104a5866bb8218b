"""Đội agent: the agents as the collector sees them (heartbeats, clock offset, queues,
versions), their own view (collector link, queue, inventory reloads, poll durations), and the
collector's latency."""

from __future__ import annotations

from netwarden.grafana.kit import (
    AGENTS_JOB,
    OK_FAILED,
    UP_DOWN,
    Column,
    query,
    stat_panel,
    table_panel,
    thresholds,
    timeseries_panel,
)
from netwarden.grafana.layout import Board

R = "[$__rate_interval]"
AGENT = "{{agent}}"
BY_AGENT = "max by (agent, site)"


def board() -> Board:
    b = Board(
        "netwarden-fleet",
        "Đội agent",
        "Các agent theo collector (heartbeat, độ lệch đồng hồ, hàng đợi, phiên bản) và theo "
        "chính agent (kết nối collector, hàng đợi, nạp inventory, thời gian poll); độ trễ "
        "collector.",
    )
    b.row("Collector")
    b.add(
        stat_panel(
            "Agent theo trạng thái",
            [query("sum by (state) (netwarden_collector_agents)", "{{state}}", instant=True)],
        ),
        8,
        5,
    )
    b.add(
        stat_panel(
            "Agent Prometheus không scrape được",
            [query(f'count(up{{job="{AGENTS_JOB}"}} == 0) or vector(0)', instant=True)],
            steps=thresholds((None, "green"), (1, "red")),
        ),
        4,
        5,
    )
    b.add(
        table_panel(
            "Phiên bản agent",
            [
                Column("Số agent", "count by (version) (netwarden_agent_build_info)"),
            ],
        ),
        12,
        5,
    )
    b.add(
        table_panel(
            "Từng agent (theo collector)",
            [
                Column(
                    "Heartbeat", f"{BY_AGENT} (netwarden_collector_agent_up)", mappings=[UP_DOWN]
                ),
                Column(
                    "Lần cuối, cách đây",
                    f"{BY_AGENT} (time() - netwarden_collector_agent_last_seen_timestamp_seconds)",
                    "s",
                ),
                Column(
                    "Độ lệch đồng hồ",
                    f"{BY_AGENT} (netwarden_collector_agent_clock_offset_seconds)",
                    "s",
                ),
                Column("Hàng đợi", f"{BY_AGENT} (netwarden_collector_agent_queue_depth)"),
            ],
        ),
        24,
        8,
    )
    b.add(
        timeseries_panel(
            "Độ lệch đồng hồ",
            [query("max by (agent) (netwarden_collector_agent_clock_offset_seconds)", AGENT)],
            "s",
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Hàng đợi kết quả trên agent",
            [query("max by (agent) (netwarden_collector_agent_queue_depth)", AGENT)],
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Độ trễ trả lời của collector (p99)",
            [
                query(
                    "histogram_quantile(0.99, sum by (le, route) "
                    f"(rate(netwarden_collector_request_duration_seconds_bucket{R})))",
                    "{{route}}",
                )
            ],
            "s",
        ),
        12,
        8,
    )
    b.add(
        timeseries_panel(
            "Yêu cầu tới collector theo mã",
            [query(f"sum by (code) (rate(netwarden_collector_requests_total{R}))", "{{code}}")],
            "reqps",
        ),
        12,
        8,
    )
    b.row("Agent")
    b.add(
        timeseries_panel(
            "Agent kết nối được collector",
            [query("max by (agent) (netwarden_agent_collector_up)", AGENT)],
        ),
        8,
        8,
    )
    b.add(
        timeseries_panel(
            "Hàng đợi trên đĩa", [query("max by (agent) (netwarden_agent_queue_depth)", AGENT)]
        ),
        8,
        8,
    )
    b.add(
        timeseries_panel(
            "Kết quả bị bỏ (1 giờ)",
            [
                query(
                    "sum by (agent, reason) (increase(netwarden_agent_queue_dropped_total[1h]))",
                    "{{agent}} {{reason}}",
                )
            ],
        ),
        8,
        8,
    )
    b.add(
        timeseries_panel(
            "Thời gian poll SNMP",
            [
                query("max by (agent) (netwarden_snmp_poll_duration_seconds)", f"{AGENT} max"),
                query(
                    "quantile by (agent) (0.5, netwarden_snmp_poll_duration_seconds)",
                    f"{AGENT} trung vị",
                    ref="B",
                ),
            ],
            "s",
        ),
        12,
        8,
    )
    b.add(
        table_panel(
            "Nạp inventory",
            [
                Column(
                    "Lần nạp cuối",
                    f"{BY_AGENT} (netwarden_agent_inventory_reload_success)",
                    mappings=[OK_FAILED],
                ),
                Column(
                    "Cách đây",
                    f"{BY_AGENT} (time() - netwarden_agent_inventory_reload_timestamp_seconds)",
                    "s",
                ),
            ],
        ),
        12,
        8,
    )
    return b
