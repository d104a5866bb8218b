"""Configuration backups (docs/config-backup.md): an unplanned change, and backups failing."""

from __future__ import annotations

from netwarden.alerting.rules.spec import INCIDENT_DEVICE, AlertSpec, GroupSpec

CHANGED = AlertSpec(
    alert="NetwardenConfigChanged",
    # The agent's own scheduled backup found the running configuration changed since the one
    # before. A planned change is recorded with `netwarden config backup DEVICE` right after
    # it is made: the agent's next backup then finds nothing new and this stays quiet. It
    # resolves at the next backup that finds no further change.
    expr="netwarden_config_changed == 1",
    incident=INCIDENT_DEVICE,
    summary="Unplanned configuration change on {{ $labels.device }}",
    summary_vi="Cấu hình của {{ $labels.device }} bị thay đổi ngoài kế hoạch",
    description=(
        "The running configuration of {{ $labels.device }} (site {{ $labels.site }}) changed "
        "and the change was not recorded with `netwarden config backup`. See what changed "
        "with `netwarden config diff {{ $labels.device }}`."
    ),
    description_vi=(
        "Cấu hình đang chạy của {{ $labels.device }} (đơn vị {{ $labels.site }}) đã thay đổi "
        "mà không được ghi nhận bằng `netwarden config backup`. Xem thay đổi bằng "
        "`netwarden config diff {{ $labels.device }}`."
    ),
)

BACKUP_FAILING = AlertSpec(
    alert="NetwardenConfigBackupFailing",
    # The last backup failed (retried at the next backup_interval, so this stays until one
    # succeeds), or none succeeded for max_age (keep it above the devices' backup_interval).
    expr="""
netwarden_config_backup_success == 0
or
time() - netwarden_config_last_backup_timestamp_seconds > <<max_age:seconds>>
""",
    incident=INCIDENT_DEVICE,
    params={"max_age": "duration"},
    summary="Configuration backup of {{ $labels.device }} is failing",
    summary_vi="Sao lưu cấu hình của {{ $labels.device }} đang thất bại",
    description=(
        "netwarden cannot back up the running configuration of {{ $labels.device }} "
        "(site {{ $labels.site }}), or has not for <<max_age>>: changes to it would go "
        "unnoticed. Run `netwarden config backup {{ $labels.device }}` to see the reason."
    ),
    description_vi=(
        "netwarden không sao lưu được cấu hình đang chạy của {{ $labels.device }} "
        "(đơn vị {{ $labels.site }}), hoặc đã quá <<max_age>> chưa sao lưu: thay đổi cấu hình "
        "sẽ không được phát hiện. Chạy `netwarden config backup {{ $labels.device }}` để xem lý do."
    ),
)

GROUP = GroupSpec(
    name="netwarden-config",
    file="netwarden-config.yml",
    title="configuration backups: unplanned change, backups failing",
    rules=(CHANGED, BACKUP_FAILING),
)
