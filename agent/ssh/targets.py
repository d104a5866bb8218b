"""From an inventory device to the :class:`SshTarget` a session needs. Secrets stay references:
the runner reveals them only when it opens the session, in its worker thread."""

from __future__ import annotations

from netwarden.agent.ssh.types import SshTarget
from netwarden.errors import UsageError
from netwarden.inventory.model import Device, Inventory

# Platforms whose prompt is not the device's name alone (a Linux shell: user@host:dir$).
NAMELESS_PROMPTS = frozenset({"linux"})


def expected_hostname(device: Device) -> str | None:
    """The name ``device`` must give itself (``ssh.hostname``, else its id), or None when the
    inventory asks for no check (``ssh.hostname_check: false``) or its prompt names no one."""
    ssh = device.ssh
    if ssh is None or not ssh.hostname_check or ssh.platform in NAMELESS_PROMPTS:
        return None
    return ssh.hostname or device.id


def ssh_target_for(
    inventory: Inventory, device: Device, *, require_name: bool = False
) -> SshTarget:
    """The SSH target of ``device`` (which must have an ``ssh`` block with an SSH credential);
    ``require_name``: the session fails unless the prompt gives the expected name (backups).

    A private key must be a ``file:`` reference (the path of the key file): netmiko reads keys
    from files, and writing a key from the environment to disk would leave a copy behind.
    """
    if device.ssh is None:
        raise UsageError(f"device {device.id} has no ssh block in the inventory")
    try:
        credential = inventory.credential(device.ssh.credential).ssh
    except KeyError:
        raise UsageError(
            f"device {device.id}: no credential {device.ssh.credential!r} in the inventory"
        ) from None
    if credential is None:  # the inventory's reference check makes this unreachable
        raise UsageError(f"credential {device.ssh.credential!r} is not an SSH credential")
    if credential.key is not None and credential.key.kind != "file":
        raise UsageError(
            f"credential {device.ssh.credential!r}: an SSH key must be a file: reference "
            f"(the path of the private key file), not {credential.key.kind}:"
        )
    return SshTarget(
        device=device.id,
        host=str(device.address),
        port=device.ssh.port,
        platform=device.ssh.platform,
        username=credential.username,
        password=credential.password,
        key_file=credential.key,
        passphrase=credential.passphrase,
        enable_secret=credential.enable_secret,
        timeout=device.ssh.timeout,
        expected_hostname=expected_hostname(device),
        name_required=require_name,
    )
