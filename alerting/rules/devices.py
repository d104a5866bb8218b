"""Devices: down (no answer), SNMPv3 authentication refused, a secret the agent cannot read,
and restarts. The first three are told apart by the reason of the poll errors
(docs/metrics.md): a device that does not answer, one that answers but refuses our
credentials, and an agent that could not even build a request."""

from __future__ import annotations

from netwarden.alerting.rules.spec import INCIDENT_AGENT, INCIDENT_DEVICE, AlertSpec, GroupSpec

DEVICE_DOWN = AlertSpec(
    alert="NetwardenDeviceDown",
    # Cameras and Wi-Fi APs are judged as groups (rules/groups.py): one dead camera is not a
    # page, a camera group that is mostly dark is.
    expr="""
netwarden_device_up{role!~"<<exclude_roles>>"} == 0
and on(device)
  increase(netwarden_snmp_poll_errors_total{reason=~"timeout|refused|unreachable"}[<<window>>]) > 0
""",
    incident=INCIDENT_DEVICE,
    params={"window": "duration", "exclude_roles": "regex"},
    summary="{{ $labels.device }} ({{ $labels.site }}) does not answer",
    summary_vi="Thiết bị {{ $labels.device }} ({{ $labels.site }}) không phản hồi",
    description=(
        "SNMP polls of {{ $labels.device }} ({{ $labels.role }}) at {{ $labels.site }} time "
        "out or are refused: the device is off, unreachable, or its SNMP agent is stopped."
    ),
    description_vi=(
        "Các lần thăm dò SNMP tới {{ $labels.device }} ({{ $labels.role }}) tại "
        "{{ $labels.site }} bị quá thời gian hoặc bị từ chối: thiết bị mất nguồn, không tới "
        "được, hoặc dịch vụ SNMP trên thiết bị đã dừng."
    ),
)

SNMP_AUTH = AlertSpec(
    alert="NetwardenSnmpAuthFailure",
    expr="""
netwarden_device_up == 0
and on(device)
  increase(netwarden_snmp_poll_errors_total{reason="auth"}[<<window>>]) > 0
""",
    incident=INCIDENT_DEVICE,
    params={"window": "duration"},
    summary="{{ $labels.device }} ({{ $labels.site }}) refuses our SNMPv3 credentials",
    summary_vi=(
        "Thiết bị {{ $labels.device }} ({{ $labels.site }}) từ chối thông tin xác thực SNMPv3"
    ),
    description=(
        "{{ $labels.device }} answers but rejects the SNMPv3 user or keys of its credential "
        "(a changed password, a wrong protocol, an engine id reset)."
    ),
    description_vi=(
        "{{ $labels.device }} vẫn trả lời nhưng từ chối người dùng hoặc khóa SNMPv3 của "
        "credential (mật khẩu đã đổi, sai giao thức, engine id thay đổi)."
    ),
)

SECRET_UNREADABLE = AlertSpec(
    alert="NetwardenSecretUnreadable",
    expr="""
sum by (agent, site, device, role) (
  increase(netwarden_snmp_poll_errors_total{reason="credentials"}[<<window>>])
) > 0
or
sum by (agent, site, device, role) (
  increase(netwarden_ssh_failures_total{reason="secret"}[<<window>>])
) > 0
""",
    # The secret lives on the agent's host: every device it breaks joins one agent incident.
    incident=INCIDENT_AGENT,
    params={"window": "duration"},
    summary="{{ $labels.agent }} cannot read the secret to poll {{ $labels.device }}",
    summary_vi="{{ $labels.agent }} không đọc được bí mật để thăm dò {{ $labels.device }}",
    description=(
        "The agent cannot resolve a secret reference (env: or file:) of the credential used "
        "for {{ $labels.device }}: a missing file, wrong permissions or an unset variable on "
        "the agent's host. The device itself may be fine."
    ),
    description_vi=(
        "Agent không đọc được tham chiếu bí mật (env: hoặc file:) của credential dùng cho "
        "{{ $labels.device }}: thiếu tệp, sai quyền hoặc chưa đặt biến môi trường trên máy "
        "chạy agent. Bản thân thiết bị có thể vẫn bình thường."
    ),
)

RESTARTED = AlertSpec(
    alert="NetwardenDeviceRestarted",
    # sysUpTime is a 32-bit count of hundredths: it wraps to 0 after 497 days. A fall within
    # the window is a restart unless the highest value in the window was within one window of
    # 2^32 - 1, which only a wrap can give.
    expr="""
sysUpTime / 100 < max_over_time(sysUpTime[<<window>>]) / 100
unless max_over_time(sysUpTime[<<window>>]) > 4294967295 - 100 * <<window:seconds>>
""",
    incident=INCIDENT_DEVICE,
    params={"window": "duration"},
    summary="{{ $labels.device }} ({{ $labels.site }}) restarted",
    summary_vi="Thiết bị {{ $labels.device }} ({{ $labels.site }}) vừa khởi động lại",
    description=(
        "The SNMP uptime of {{ $labels.device }} went back: it has been up for "
        "{{ $value | humanizeDuration }} (power cut, crash, or a planned reload)."
    ),
    description_vi=(
        "Thời gian hoạt động SNMP của {{ $labels.device }} bị đặt lại: thiết bị mới chạy "
        "được {{ $value | humanizeDuration }} (mất điện, treo máy, hoặc khởi động lại có kế hoạch)."
    ),
)

GROUP = GroupSpec(
    name="netwarden-devices",
    file="netwarden-devices.yml",
    title="devices: down, SNMPv3 auth refused, unreadable secret, restarted",
    rules=(DEVICE_DOWN, SNMP_AUTH, SECRET_UNREADABLE, RESTARTED),
)
