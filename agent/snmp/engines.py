"""The SNMP engines the agent can poll with, by the name ``--snmp-engine`` takes.

The names are light (the command line declares them for ``--help``); an engine's module is
imported only when :func:`session_factory` is asked for it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netwarden.agent.snmp.types import SnmpSession, Target


class EngineName(enum.StrEnum):
    fast = "fast"  # the agent's own client (agent/snmp/client.py): the default
    pysnmp = "pysnmp"  # the reference: slower, for telling a client fault from a device's


def session_factory(name: EngineName) -> Callable[[Target], SnmpSession]:
    """The session class of engine ``name``."""
    if name is EngineName.pysnmp:
        from netwarden.agent.snmp.pysnmp_engine import PysnmpSession  # pysnmp on first use

        return PysnmpSession
    from netwarden.agent.snmp.client import UdpSnmpSession

    return UdpSnmpSession
