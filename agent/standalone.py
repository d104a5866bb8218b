"""The standalone agent's source and sink: inventory files named on the command line, and no
destination for results (they are only on /metrics)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from netwarden.agent.parts import AgentContext
from netwarden.agent.sync.queue_items import Item


class InventoryFiles:
    """The inventory at ``paths`` (files or directories), as agent ``agent_id``."""

    required = True  # the admin named these files: a bad one is an error at start

    def __init__(self, paths: Sequence[Path], agent_id: str) -> None:
        self._paths = list(paths)
        self._agent_id = agent_id

    @property
    def agent_id(self) -> str:
        return self._agent_id

    @property
    def paths(self) -> list[Path]:
        return self._paths

    def stored(self) -> bool:
        return True

    def hold(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def banner(self, agent: AgentContext, loaded: bool) -> str:
        runtime = agent.runtime
        return (
            f"agent {self._agent_id}: {len(runtime.devices)} devices polled, "
            f"{len(runtime.probes)} probes"
        )

    async def start(self, agent: AgentContext) -> None:
        """Nothing to run: the runtime watches the files itself."""

    async def close(self) -> None:
        pass


class NoSink:
    """No destination: results and events are dropped (/metrics still shows the state)."""

    async def put_many(self, items: Sequence[Item]) -> None:
        pass

    async def start(self, agent: AgentContext) -> None:
        pass

    async def close(self) -> None:
        pass
