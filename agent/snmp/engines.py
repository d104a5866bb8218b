"""The SNMP engines the agent can poll with, by the name ``--snmp-engine`` takes."""

from __future__ import annotations

import enum
from collections.abc import Callable

from netwarden.agent.snmp.client import UdpSnmpSession
from netwarden.agent.snmp.pysnmp_engine import PysnmpSession  # imports pysnmp on first use only
from netwarden.agent.snmp.types import SnmpSession, Target


class EngineName(enum.StrEnum):
    fast = "fast"  # the agent's own client (agent/snmp/client.py): the default
    pysnmp = "pysnmp"  # the reference: slower, for telling a client fault from a device's


ENGINES: dict[EngineName, Callable[[Target], SnmpSession]] = {
    EngineName.fast: UdpSnmpSession,
    EngineName.pysnmp: PysnmpSession,
}
