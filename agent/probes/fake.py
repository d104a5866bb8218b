"""A fake of every probe kind, for unit tests: it answers what the test sets and records what
it was asked; targets and inventory checks are the real kinds' (only the network is faked)."""

from __future__ import annotations

import dataclasses
from typing import Any

from netwarden.agent.probes.common import Prober
from netwarden.agent.probes.icmp import IcmpPinger
from netwarden.agent.probes.registry import Probers, real_probers
from netwarden.agent.probes.result import ProbeResult


class FakeProbers:
    """``results[kind]`` is the answer of every probe of that kind (success by default);
    ``calls`` lists (kind, target, deadline) in call order."""

    def __init__(self) -> None:
        self.results: dict[str, ProbeResult] = {}
        self.calls: list[tuple[str, Any, float]] = []

    async def answer(self, kind: str, target: Any, deadline: float) -> ProbeResult:
        """What a probe returns; a test overrides it to hang or raise."""
        return self.results.get(kind, ProbeResult(True, 0.01))

    def prober(self, kind: str) -> Prober[Any]:
        async def probe(target: Any, *, deadline: float) -> ProbeResult:
            self.calls.append((kind, target, deadline))
            return await self.answer(kind, target, deadline)

        return probe

    def probers(self) -> Probers:
        # An unopened pinger: the real table only lends its target types and check readers.
        real = real_probers(IcmpPinger())
        return Probers(
            {
                kind: dataclasses.replace(real[kind], probe=self.prober(kind))
                for kind in real.kinds()
            }
        )
