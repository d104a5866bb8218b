"""From an inventory device to the SNMP target the agent polls, secrets resolved here.

This is the one place the agent reveals SNMP secrets: they are read from the agent's own
environment or files (the inventory carries only references) and go straight into the target.
"""

from __future__ import annotations

from netwarden.agent.polling.snapshot import DeviceInfo
from netwarden.agent.snmp.types import Credentials, Target, V2cCredentials, V3Credentials
from netwarden.errors import UsageError
from netwarden.inventory.model import Device, Inventory


def device_info(inventory: Inventory, device: Device) -> DeviceInfo:
    return DeviceInfo(device=device.id, site=device.site, role=device.role)


def credentials_for(inventory: Inventory, name: str) -> Credentials:
    """Resolve a named SNMP credential; raises SecretError if a secret cannot be read."""
    snmp = inventory.credential(name).snmp
    if snmp is None:  # the inventory's reference check makes this unreachable for valid files
        raise UsageError(f"credential {name!r} is not an SNMP credential")
    if snmp.version == "2c":
        assert snmp.community is not None  # guaranteed by the model's validator
        return V2cCredentials(snmp.community.reveal().encode())
    assert snmp.user is not None  # guaranteed by the model's validator
    return V3Credentials(
        user=snmp.user,
        auth_protocol=snmp.auth.protocol if snmp.auth else None,
        auth_password=snmp.auth.secret.reveal().encode() if snmp.auth else None,
        priv_protocol=snmp.priv.protocol if snmp.priv else None,
        priv_password=snmp.priv.secret.reveal().encode() if snmp.priv else None,
    )


def target_for(inventory: Inventory, device: Device) -> Target:
    """The SNMP target of ``device`` (which must have an ``snmp`` block)."""
    if device.snmp is None:
        raise UsageError(f"device {device.id} has no snmp block in the inventory")
    return Target(
        host=str(device.address),
        port=device.snmp.port,
        timeout=device.snmp.timeout,
        retries=device.snmp.retries,
        credentials=credentials_for(inventory, device.snmp.credential),
    )
