"""A backup's target requires the device's name, and the name a fetched configuration gives must
agree: a backup that reached another device (an address reused behind NAT) stores nothing.

The expected name is ``ssh.hostname`` when the inventory sets it, else the device id; ``ssh.
hostname_check: false`` asks for no check (:func:`~netwarden.agent.ssh.targets.
expected_hostname`). The session checks the prompt (:mod:`netwarden.agent.ssh.identity`);
:func:`name_mismatch` checks the configuration's own ``hostname`` (IOS) or ``sysname`` (VRP,
Comware) line, compared the same way.
"""

from __future__ import annotations

import re
from typing import Final

from netwarden.agent.ssh.identity import same_name
from netwarden.agent.ssh.targets import ssh_target_for
from netwarden.agent.ssh.types import SshTarget
from netwarden.inventory.model import Device, Inventory

# `hostname sw-1` (IOS), `sysname sw-1` (VRP; Comware indents it: ` sysname sw-1`)
_NAME_LINE: Final = re.compile(r"^[ \t]*(?:hostname|sysname)[ \t]+(\S.*?)[ \t]*$", re.MULTILINE)


def backup_target(inventory: Inventory, device: Device) -> SshTarget:
    """The SSH target of a backup of ``device``: its session requires the prompt's name."""
    return ssh_target_for(inventory, device, require_name=True)


def configured_name(config: str) -> str | None:
    """The first ``hostname``/``sysname`` of a configuration (quotes removed), or None."""
    found = _NAME_LINE.search(config)
    return found[1].strip('"') if found else None


def name_mismatch(target: SshTarget, config: str) -> str:
    """Why ``config`` is not the expected device's (one line naming both names), or ""."""
    expected = target.expected_hostname if target.name_required else None
    configured = configured_name(config)
    if expected is None or configured is None or same_name(configured, expected):
        return ""
    return (
        f"{target.device}: the configuration names {configured!r} (its hostname line), not "
        f"{expected!r}: another device answers at this address; nothing stored"
    )
