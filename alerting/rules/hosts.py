"""Data-centre Linux hosts, from the agent's SSH collection (docs/metrics.md, SSH collection):
disk, load, memory and failed systemd units."""

from __future__ import annotations

from netwarden.alerting.rules.spec import INCIDENT_DEVICE, AlertSpec, GroupSpec

DISK = AlertSpec(
    alert="NetwardenHostDiskFull",
    expr="""
netwarden_host_filesystem_avail_bytes{fstype!~"<<exclude_fstypes>>"}
/ netwarden_host_filesystem_size_bytes
< <<available_below>>
""",
    incident=INCIDENT_DEVICE,
    params={"available_below": "ratio", "exclude_fstypes": "regex"},
    summary=(
        "{{ $labels.device }}: {{ $labels.mountpoint }} has {{ $value | humanizePercentage }} left"
    ),
    summary_vi=(
        "{{ $labels.device }}: {{ $labels.mountpoint }} chỉ còn "
        "{{ $value | humanizePercentage }} dung lượng"
    ),
    description=(
        "Less than <<available_below:percent>> of {{ $labels.mountpoint }} "
        "({{ $labels.fstype }}) on {{ $labels.device }} is available for <<for>>."
    ),
    description_vi=(
        "Phân vùng {{ $labels.mountpoint }} ({{ $labels.fstype }}) trên {{ $labels.device }} "
        "còn trống dưới <<available_below:percent>> trong <<for>>."
    ),
)

LOAD = AlertSpec(
    alert="NetwardenHostLoadHigh",
    # Load per CPU, counting CPUs in HOST-RESOURCES-MIB; a host polled only over SSH is
    # assumed to have `assumed_cpus`.
    expr="""
netwarden_host_load15 / on(device) group_left() count by (device) (hrProcessorLoad) > <<per_cpu>>
or
(
  netwarden_host_load15 > <<per_cpu>> * <<assumed_cpus>>
  unless on(device) hrProcessorLoad
)
""",
    incident=INCIDENT_DEVICE,
    params={"per_cpu": "number", "assumed_cpus": "number"},
    summary="{{ $labels.device }} is overloaded (load {{ $value | humanize }})",
    summary_vi="{{ $labels.device }} quá tải (tải {{ $value | humanize }})",
    description=(
        "The 15-minute load average of {{ $labels.device }} has been above <<per_cpu>> per CPU "
        "for <<for>>: processes wait for CPU or for disk."
    ),
    description_vi=(
        "Tải trung bình 15 phút của {{ $labels.device }} vượt <<per_cpu>> trên mỗi CPU trong "
        "<<for>>: tiến trình phải chờ CPU hoặc chờ đĩa."
    ),
)

MEMORY = AlertSpec(
    alert="NetwardenHostMemoryLow",
    expr="""
netwarden_host_memory_available_bytes / netwarden_host_memory_total_bytes
< <<available_below>>
""",
    incident=INCIDENT_DEVICE,
    params={"available_below": "ratio"},
    summary="{{ $labels.device }} has {{ $value | humanizePercentage }} of its memory available",
    summary_vi="{{ $labels.device }} chỉ còn {{ $value | humanizePercentage }} bộ nhớ khả dụng",
    description=(
        "MemAvailable of {{ $labels.device }} has been below <<available_below:percent>> of "
        "MemTotal for <<for>>: the host swaps, or the OOM killer is near."
    ),
    description_vi=(
        "MemAvailable của {{ $labels.device }} dưới <<available_below:percent>> tổng bộ nhớ "
        "trong <<for>>: máy đang dùng swap hoặc sắp bị OOM killer dừng tiến trình."
    ),
)

UNIT = AlertSpec(
    alert="NetwardenHostSystemdUnitFailed",
    expr="netwarden_host_systemd_unit_failed == 1",
    incident=INCIDENT_DEVICE,
    summary="{{ $labels.device }}: systemd unit {{ $labels.unit }} failed",
    summary_vi="{{ $labels.device }}: dịch vụ systemd {{ $labels.unit }} bị lỗi",
    description=(
        "The systemd unit {{ $labels.unit }} on {{ $labels.device }} is in the failed state: "
        "see `systemctl status {{ $labels.unit }}` on the host."
    ),
    description_vi=(
        "Dịch vụ systemd {{ $labels.unit }} trên {{ $labels.device }} ở trạng thái failed: "
        "xem `systemctl status {{ $labels.unit }}` trên máy chủ."
    ),
)

GROUP = GroupSpec(
    name="netwarden-hosts",
    file="netwarden-hosts.yml",
    title="data-centre hosts: disk, load, memory, failed systemd units",
    rules=(DISK, LOAD, MEMORY, UNIT),
)
