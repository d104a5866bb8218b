"""The monitoring itself: agents (from the collector's heartbeats, so pushed and NAT'd agents
count too), Prometheus' scrapes of pulled agents, the collector, queues and clocks."""

from __future__ import annotations

from netwarden.alerting.rules.spec import INCIDENT_AGENT, AlertSpec, GroupSpec

AGENT_DOWN = AlertSpec(
    alert="NetwardenAgentDown",
    # Only agents that were heard at least once: a token created for an agent not yet
    # installed is an enrolment pending, not an outage.
    expr="""
netwarden_collector_agent_up == 0
and on(agent) netwarden_collector_agent_last_seen_timestamp_seconds
""",
    incident=INCIDENT_AGENT,
    summary="Agent {{ $labels.agent }} ({{ $labels.site }}) is silent",
    summary_vi="Agent {{ $labels.agent }} ({{ $labels.site }}) mất liên lạc",
    description=(
        "The collector has had no heartbeat from {{ $labels.agent }} for longer than its "
        "--stale-after: the agent, its host or its site's connection is down. Nothing at "
        "{{ $labels.site }} is being watched; the sites it polls are held back (inhibited)."
    ),
    description_vi=(
        "Collector không nhận được tín hiệu (heartbeat) từ {{ $labels.agent }} quá thời gian "
        "--stale-after: agent, máy chủ của nó hoặc kết nối của đơn vị bị gián đoạn. "
        "{{ $labels.site }} hiện không được giám sát; cảnh báo của các đơn vị agent này "
        "giám sát được tạm giữ."
    ),
)

SCRAPE_FAILED = AlertSpec(
    alert="NetwardenAgentScrapeFailed",
    expr='up{job="<<agents_job>>"} == 0',
    incident=INCIDENT_AGENT,
    summary="Prometheus cannot scrape agent {{ $labels.agent }} at {{ $labels.instance }}",
    summary_vi=(
        "Prometheus không lấy được số liệu từ agent {{ $labels.agent }} ({{ $labels.instance }})"
    ),
    description=(
        "Scrapes of {{ $labels.instance }} fail: the agent is down or unreachable from "
        "Prometheus, or advertises an address Prometheus cannot reach (firewall, NAT)."
    ),
    description_vi=(
        "Không lấy được số liệu từ {{ $labels.instance }}: agent đã dừng hoặc Prometheus không "
        "tới được, hoặc địa chỉ agent khai báo không truy cập được (tường lửa, NAT)."
    ),
)

COLLECTOR_DOWN = AlertSpec(
    alert="NetwardenCollectorDown",
    expr='up{job="<<collector_job>>"} == 0\nor\nabsent(up{job="<<collector_job>>"})',
    incident="service/netwarden-collector",
    labels={"site": "<<monitoring_site>>"},
    summary="The netwarden collector does not answer",
    summary_vi="Collector netwarden không phản hồi",
    description=(
        "Prometheus cannot scrape the collector (job <<collector_job>>): agents keep polling "
        "and queue their results, but agent heartbeats, enrolment and incidents are unavailable."
    ),
    description_vi=(
        "Prometheus không lấy được số liệu từ collector (job <<collector_job>>): các agent vẫn "
        "thăm dò và xếp hàng kết quả, nhưng không có heartbeat, đăng ký agent và sự cố."
    ),
)

QUEUE_BACKLOG = AlertSpec(
    alert="NetwardenAgentQueueBacklog",
    expr="netwarden_collector_agent_queue_depth > <<depth>>",
    incident=INCIDENT_AGENT,
    params={"depth": "number"},
    summary="Agent {{ $labels.agent }} has {{ $value }} results waiting to be delivered",
    summary_vi="Agent {{ $labels.agent }} còn {{ $value }} kết quả chờ gửi về collector",
    description=(
        "More than <<depth>> results have been queued on {{ $labels.agent }} for <<for>>: it "
        "reaches the collector too slowly or not at all. The queue is bounded; past it, the "
        "oldest results are dropped."
    ),
    description_vi=(
        "Hơn <<depth>> kết quả nằm chờ trên {{ $labels.agent }} trong <<for>>: agent gửi về "
        "collector quá chậm hoặc không gửi được. Hàng đợi có giới hạn; vượt quá, kết quả cũ "
        "nhất sẽ bị bỏ."
    ),
)

RESULTS_DROPPED = AlertSpec(
    alert="NetwardenAgentResultsDropped",
    expr="increase(netwarden_agent_queue_dropped_total[<<window>>]) > 0",
    incident=INCIDENT_AGENT,
    params={"window": "duration"},
    summary="Agent {{ $labels.agent }} dropped results ({{ $labels.reason }})",
    summary_vi="Agent {{ $labels.agent }} đã bỏ kết quả ({{ $labels.reason }})",
    description=(
        "{{ $labels.agent }} dropped {{ $value | humanize }} queued results in the last "
        "<<window>> (reason {{ $labels.reason }}): monitoring data is lost."
    ),
    description_vi=(
        "{{ $labels.agent }} đã bỏ {{ $value | humanize }} kết quả trong hàng đợi trong "
        "<<window>> qua (lý do {{ $labels.reason }}): dữ liệu giám sát bị mất."
    ),
)

CLOCK_OFFSET = AlertSpec(
    alert="NetwardenAgentClockOffset",
    expr="abs(netwarden_collector_agent_clock_offset_seconds) > <<seconds>>",
    incident=INCIDENT_AGENT,
    params={"seconds": "number"},
    summary="The clock of agent {{ $labels.agent }} is {{ $value | humanizeDuration }} off",
    summary_vi="Đồng hồ của agent {{ $labels.agent }} lệch {{ $value | humanizeDuration }}",
    description=(
        "The agent's clock differs from the collector's by more than <<seconds>> s: its "
        "timestamps (evidence, incident times) are wrong. Check NTP on the agent's host."
    ),
    description_vi=(
        "Đồng hồ agent lệch so với collector hơn <<seconds>> giây: mốc thời gian (chứng cứ, "
        "thời điểm sự cố) sẽ sai. Kiểm tra NTP trên máy chạy agent."
    ),
)

GROUP = GroupSpec(
    name="netwarden-fleet",
    file="netwarden-fleet.yml",
    title="the monitoring: agents, scrapes, collector, queues, clocks",
    rules=(AGENT_DOWN, SCRAPE_FAILED, COLLECTOR_DOWN, QUEUE_BACKLOG, RESULTS_DROPPED, CLOCK_OFFSET),
)
