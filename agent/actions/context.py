"""What an action runs with: the agent's own inventory slice, probers, SNMP, SSH and configs.

A job names devices by id; they are resolved here, on the agent, from the assignment it
polls from, so credentials never travel with a job. A device of another agent's slice is
refused with a line saying so (a playbook then names the host, or runs the step elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from netwarden.agent.actions.tracer import Tracer
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.polling.targets import target_for
from netwarden.agent.probes.registry import Probers
from netwarden.agent.snmp.types import SnmpSession, Target
from netwarden.agent.ssh.targets import ssh_target_for
from netwarden.agent.ssh.types import SshTarget
from netwarden.errors import NetwardenError
from netwarden.inventory.model import Device, Inventory


class ActionFailed(NetwardenError):
    """An action could not do what it was asked; ``str()`` is the job's one-line error,
    ``output`` and ``text`` what it learnt before failing (kept in the result)."""

    def __init__(
        self, message: str, output: Mapping[str, Any] | None = None, text: str = ""
    ) -> None:
        super().__init__(message)
        self.output = dict(output) if output is not None else None
        self.text = text


class SshSessions(Protocol):
    """What actions need of :class:`netwarden.agent.ssh.pool.SshPool`."""

    async def run(
        self, target: SshTarget, commands: Sequence[str], deadline: float
    ) -> dict[str, str]: ...

    async def configure(self, target: SshTarget, lines: Sequence[str], deadline: float) -> str: ...


@dataclass(frozen=True)
class ActionContext:
    """The agent's means, as the actions see them. ``inventory`` returns the slice applied
    last (None before the first assignment); ``configs`` is None without a config store."""

    agent_id: str
    inventory: Callable[[], Inventory | None]
    probers: Probers
    snmp: Callable[[Target], SnmpSession]
    ssh: SshSessions
    configs: ConfigStore | None
    tracer: Tracer

    def device(self, device_id: str) -> Device:
        """The device ``device_id`` of this agent's slice; :class:`ActionFailed` otherwise."""
        inventory = self.inventory()
        if inventory is None:
            raise ActionFailed(f"agent {self.agent_id} has no inventory yet (no assignment)")
        # This agent's devices only (a standalone agent holds the whole inventory).
        for device in inventory.devices_for(self.agent_id):
            if device.id == device_id:
                return device
        raise ActionFailed(
            f"device {device_id} is not in the inventory of agent {self.agent_id} "
            "(name the host, or run the step from the agent that polls it)"
        )

    def address(self, device: str | None, host: str | None) -> str:
        """The address to probe: ``host`` as given, or ``device``'s management address."""
        if host is not None:
            return host
        assert device is not None  # the params model requires one of them
        return str(self.device(device).address)

    def snmp_target(self, device_id: str) -> Target:
        """How to reach ``device_id`` over SNMP (its secrets read here, on the agent)."""
        device = self.device(device_id)
        inventory = self.inventory()
        assert inventory is not None  # device() found it there
        try:
            return target_for(inventory, device)
        except NetwardenError as exc:  # no snmp block, or a secret this agent cannot read
            raise ActionFailed(f"{device_id}: {exc}") from exc

    def ssh_target(self, device_id: str) -> SshTarget:
        """How to reach ``device_id`` over SSH (secrets stay references until the session)."""
        device = self.device(device_id)
        inventory = self.inventory()
        assert inventory is not None  # device() found it there
        try:
            return ssh_target_for(inventory, device)
        except NetwardenError as exc:
            raise ActionFailed(f"{device_id}: {exc}") from exc

    def config_store(self) -> ConfigStore:
        if self.configs is None:
            raise ActionFailed(
                f"agent {self.agent_id} keeps no configuration store (run it with --config-store)"
            )
        return self.configs
