"""The probe kinds an agent runs: a table from kind to prober, one line per kind.

A new kind is a module (its target dataclass, ``from_check`` reading the inventory's check
block of the same name, and ``probe``) plus one line in :func:`real_probers`. The probe plan
(inventory services) and the agent's jobs (``probe`` {kind, target}) then both run it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from netwarden.agent.probes import http, icmp, tcp
from netwarden.agent.probes.common import Prober
from netwarden.agent.probes.result import ProbeResult
from netwarden.agent.probes.target_params import target_from_params

T = TypeVar("T")


@dataclass(frozen=True)
class ProbeKind(Generic[T]):
    """One probe kind: its target type, its prober, and how an inventory check becomes a
    target (``from_check(check, interval)``)."""

    target: type[T]
    probe: Prober[T]
    from_check: Callable[[Any, float], T]


class Probers:
    """The kinds this agent probes with; built per agent (tests build one from fakes)."""

    def __init__(self, kinds: Mapping[str, ProbeKind[Any]]) -> None:
        self._kinds = dict(kinds)

    def kinds(self) -> list[str]:
        return sorted(self._kinds)

    def __getitem__(self, kind: str) -> ProbeKind[Any]:
        """The kind ``kind``; KeyError if this agent has no such prober."""
        return self._kinds[kind]

    async def probe(self, kind: str, target: Any, *, deadline: float) -> ProbeResult:
        """Run the ``kind`` prober on ``target`` (an instance of the kind's target type)."""
        return await self._kinds[kind].probe(target, deadline=deadline)

    def target(self, kind: str, params: object) -> Any:
        """A ``kind`` target from JSON params; TargetParamsError saying what is wrong."""
        return target_from_params(self._kinds[kind].target, params)


def real_probers(pinger: icmp.IcmpPinger) -> Probers:
    """Every kind, the ICMP one on ``pinger`` (one socket for all of an agent's pings)."""
    return Probers(
        {
            "icmp": ProbeKind(icmp.IcmpTarget, icmp.IcmpProber(pinger).probe, icmp.from_check),
            "tcp": ProbeKind(tcp.TcpTarget, tcp.probe, tcp.from_check),
            "http": ProbeKind(http.HttpTarget, http.probe, http.from_check),
        }
    )
