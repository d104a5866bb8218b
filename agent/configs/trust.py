"""``netwarden config trust DEVICE``: accept the host key a device offers now, after an admin
made sure the device was replaced (or re-keyed) and no other device answers at its address.

The key is read by an SSH key exchange, without logging in, and pinned in place of the old
one; ``--fingerprint`` (from the device's console, e.g. ``display ssh server-info`` or
``show ip ssh``) makes the pin conditional on the key being that one.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from netwarden.agent.ssh.identity import HostKey, HostKeyPins, KeyReadingRunner
from netwarden.agent.ssh.targets import ssh_target_for
from netwarden.errors import NetwardenError, UsageError
from netwarden.inventory.model import Inventory


@dataclass(frozen=True, slots=True)
class Trusted:
    """What ``trust`` did: the key now pinned, and the one it replaced (None: no pin before)."""

    device: str
    key: HostKey
    before: HostKey | None

    @property
    def outcome(self) -> str:
        if self.before is None:
            return "pinned"
        return "unchanged" if self.before == self.key else "replaced"

    def as_dict(self) -> dict[str, object]:
        return {
            "device": self.device,
            "result": self.outcome,
            "key_type": self.key.kind,
            "fingerprint": self.key.fingerprint,
            "previous_fingerprint": self.before.fingerprint if self.before else None,
        }


def trust(
    runner: KeyReadingRunner,
    pins: HostKeyPins,
    inventory: Inventory,
    device: str,
    fingerprint: str | None = None,
) -> Trusted:
    """Pin the key ``device`` offers now (only if it is ``fingerprint``, when given)."""
    try:
        found = inventory.device(device)
    except KeyError:
        raise UsageError(f"no device {device!r} in the inventory") from None
    target = ssh_target_for(inventory, found)  # usage error without an ssh block
    key = runner.offered_host_key(target)
    if fingerprint is not None and fingerprint.strip() != key.fingerprint:
        raise NetwardenError(
            f"{device} offers {key.kind} {key.fingerprint}, not {fingerprint.strip()}: "
            "nothing pinned"
        )
    before = pins.pinned(device)
    if before != key:
        pins.pin(device, key, target.host, target.port, f"accepted by {_who()}")
    return Trusted(device, key, before)


def _who() -> str:
    try:
        return f"{getpass.getuser()} (netwarden config trust)"
    except (KeyError, OSError):
        return "netwarden config trust"
