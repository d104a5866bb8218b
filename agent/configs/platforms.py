"""Which command prints a platform's running configuration (netmiko device_type -> command).

A platform missing here is not backed up: a Linux host has no running configuration, and an
unknown network platform is reported as such rather than guessed at.
"""

from __future__ import annotations

from typing import Final

BACKUP_COMMANDS: Final[dict[str, str]] = {
    "cisco_ios": "show running-config",
    "huawei": "display current-configuration",
    "hp_comware": "display current-configuration",
}

NOT_NETWORK = "not a network platform"
"""The reason a device on a platform without a running configuration is skipped."""


def backup_command(platform: str) -> str | None:
    """The command printing ``platform``'s running configuration, or None if it has none."""
    return BACKUP_COMMANDS.get(platform)
