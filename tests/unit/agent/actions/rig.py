"""A rig for the actions' unit tests: an agent's slice of an inventory and its means (probers,
SNMP sessions, the SSH pool, a config store, the tracer), all the in-repo fakes.

The inventory is a real one, loaded by the real loader; only the network is faked.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec

from netwarden.agent.actions.context import ActionContext
from netwarden.agent.actions.handlers import action_handlers
from netwarden.agent.actions.tracer import FakeTracer
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.probes.fake import FakeProbers
from netwarden.agent.snmp.fake import FakeSnmpSession
from netwarden.agent.snmp.types import Oid, Reason, SnmpSession, Target, VarBind
from netwarden.agent.ssh.fake import FakeSshRunner
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.sync.jobs import JobOutcome
from netwarden.inventory import load_inventory
from netwarden.inventory.model import Inventory

P = ParamSpec("P")
AGENT = "agent-a"
DATA = Path(__file__).parents[3] / "data"
COMMUNITY_ENV, SSH_ENV = "NW_ACTIONS_COMMUNITY", "NW_ACTIONS_SSH"

INVENTORY: dict[str, Any] = {
    "province": "thai-nguyen",
    "agents": [{"id": AGENT, "site": "so-khcn"}, {"id": "agent-b", "site": "so-tc"}],
    "sites": [{"id": "so-khcn", "kind": "agency"}, {"id": "so-tc", "kind": "agency"}],
    "devices": [
        {
            "id": "sw-1",
            "site": "so-khcn",
            "address": "198.18.1.2",
            "role": "switch",
            "snmp": {"credential": "snmp-v2"},
            "ssh": {"credential": "ssh-ops", "platform": "cisco_ios", "port": 2222},
        },
        {
            "id": "srv-1",
            "site": "so-khcn",
            "address": "198.18.1.5",
            "role": "host",
            "ssh": {"credential": "ssh-ops", "platform": "linux"},
        },
        {"id": "cam-1", "site": "so-khcn", "address": "198.18.1.50", "role": "camera"},
        {
            "id": "sw-2",
            "site": "so-tc",
            "address": "198.18.2.2",
            "role": "switch",
            "snmp": {"credential": "snmp-v2"},
        },
    ],
    "credentials": {
        "snmp-v2": {"snmp": {"version": "2c", "community": f"env:{COMMUNITY_ENV}"}},
        "ssh-ops": {"ssh": {"username": "ops", "password": f"env:{SSH_ENV}"}},
    },
}


def run_async(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an async test in its own event loop (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


def load(tmp_path: Path, document: dict[str, Any] | None = None) -> Inventory:
    path = tmp_path / "inventory.json"  # JSON is valid YAML
    path.write_text(json.dumps(document or INVENTORY))
    return load_inventory([path])


def ios_interfaces() -> dict[str, str]:
    """``show interfaces IF`` per interface, cut from the golden ``show interfaces``."""
    text = (DATA / "ssh" / "cisco_ios" / "show_interfaces.txt").read_text()
    blocks = re.split(r"(?m)^(?=\S)", text)
    return {block.split()[0]: block for block in blocks if block.strip()}


@dataclass
class Rig:
    """The fakes behind one :class:`ActionContext` for agent ``agent-a``."""

    tmp_path: Path
    inventory: Inventory | None = None
    probers: FakeProbers = field(default_factory=FakeProbers)
    mib: dict[Oid, VarBind] = field(default_factory=dict)
    snmp_failures: dict[Oid, Reason] = field(default_factory=dict)
    opened: list[tuple[Target, FakeSnmpSession]] = field(default_factory=list)
    ssh_outputs: dict[str, Any] = field(default_factory=dict)
    tracer: FakeTracer = field(default_factory=lambda: FakeTracer(["198.19.1.1"]))
    with_store: bool = True

    def __post_init__(self) -> None:
        self.ssh = FakeSshRunner(self.ssh_outputs)
        self.pool = SshPool(self.ssh, 2)
        self.store = ConfigStore(self.tmp_path / "configs") if self.with_store else None

    def session(self, target: Target) -> SnmpSession:
        session = FakeSnmpSession(self.mib.values())
        for root, reason in self.snmp_failures.items():
            session.fail(root, reason)
        self.opened.append((target, session))
        return session

    def context(self) -> ActionContext:
        return ActionContext(
            agent_id=AGENT,
            inventory=lambda: self.inventory,
            probers=self.probers.probers(),
            snmp=self.session,
            ssh=self.pool,
            configs=self.store,
            tracer=self.tracer,
        )

    async def run(self, action: str, params: dict[str, Any]) -> JobOutcome:
        """The action as the agent runs a job of it (params checked, time bounded)."""
        outcome = await action_handlers(self.context())[action](params)
        assert isinstance(outcome, JobOutcome)
        return outcome

    def close(self) -> None:
        self.pool.close()


def rig(tmp_path: Path, monkeypatch: Any, **options: Any) -> Rig:
    monkeypatch.setenv(COMMUNITY_ENV, "public")
    monkeypatch.setenv(SSH_ENV, "secret")
    made = Rig(tmp_path, **options)
    made.inventory = load(tmp_path)
    return made
