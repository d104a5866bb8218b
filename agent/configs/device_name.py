"""Which name a backup expects a device to give itself, and the name a fetched configuration
gives: a backup that reached another device (an address reused behind NAT) must store nothing.

The expected name is ``ssh.hostname`` when the inventory sets it, else the device id; ``ssh.
hostname_check: false`` asks for no check. The session checks the prompt
(:mod:`netwarden.agent.ssh.identity`); :func:`name_mismatch` checks the configuration's own
``hostname`` (IOS) or ``sysname`` (VRP, Comware) line, compared the same way.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final

from netwarden.agent.ssh.identity import same_name
from netwarden.agent.ssh.targets import ssh_target_for
from netwarden.agent.ssh.types import SshTarget
from netwarden.inventory.model import Device, Inventory

# `hostname sw-1` (IOS), `sysname sw-1` (VRP; Comware indents it: ` sysname sw-1`)
_NAME_LINE: Final = re.compile(r"^[ \t]*(?:hostname|sysname)[ \t]+(\S.*?)[ \t]*$", re.MULTILINE)


def expected_hostname(device: Device) -> str | None:
    """The name ``device`` must give itself, or None when the inventory asks for no check."""
    if device.ssh is None or not device.ssh.hostname_check:
        return None
    return device.ssh.hostname or device.id


def backup_target(inventory: Inventory, device: Device) -> SshTarget:
    """The SSH target of a backup of ``device``: its session checks the prompt's name."""
    target = ssh_target_for(inventory, device)
    return dataclasses.replace(target, expected_hostname=expected_hostname(device))


def configured_name(config: str) -> str | None:
    """The first ``hostname``/``sysname`` of a configuration (quotes removed), or None."""
    found = _NAME_LINE.search(config)
    return found[1].strip('"') if found else None


def name_mismatch(target: SshTarget, config: str) -> str:
    """Why ``config`` is not the expected device's (one line naming both names), or ""."""
    expected = target.expected_hostname
    configured = configured_name(config)
    if expected is None or configured is None or same_name(configured, expected):
        return ""
    return (
        f"{target.device}: the configuration names {configured!r} (its hostname line), not "
        f"{expected!r}: another device answers at this address; nothing stored"
    )
