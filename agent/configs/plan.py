"""Which devices of an inventory are backed up, and why the others are not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netwarden.agent.configs.platforms import NOT_NETWORK
from netwarden.errors import UsageError
from netwarden.inventory.model import Device, Inventory

HOST_PLATFORMS = frozenset({"linux"})
"""netmiko device_types of servers: they have no running configuration to back up."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A device left out of a backup run, and why (shown, not an error)."""

    device: str
    why: str


def plan_backups(
    inventory: Inventory, wanted: Sequence[str] = (), *, agent: str | None = None
) -> tuple[list[Device], list[Skipped]]:
    """The devices to back up and the ones skipped.

    Without ``wanted``: every device (of ``agent``, if given) with an ``ssh`` block and
    ``backup: true``, except hosts. Devices named in ``wanted`` are backed up whatever their
    ``backup`` flag says (an admin asked for them); an unknown one is a usage error. A device
    on a platform without a known backup command is kept: its backup fails as
    ``unsupported``, so an inventory asking for something netwarden cannot do shows.
    """
    if wanted:
        unknown = [d for d in wanted if d not in {dev.id for dev in inventory.devices}]
        if unknown:
            raise UsageError(f"no device {', '.join(map(repr, unknown))} in the inventory")
        candidates = [inventory.device(d) for d in dict.fromkeys(wanted)]
    else:
        pool = inventory.devices_for(agent) if agent is not None else inventory.devices
        candidates = [d for d in pool if d.ssh is not None and d.ssh.backup]
    chosen: list[Device] = []
    skipped: list[Skipped] = []
    for device in candidates:
        if device.ssh is None:
            skipped.append(Skipped(device.id, "no ssh block in the inventory"))
        elif device.ssh.platform in HOST_PLATFORMS:
            skipped.append(Skipped(device.id, f"{NOT_NETWORK} ({device.ssh.platform})"))
        else:
            chosen.append(device)
    return chosen, skipped
