"""The collector's current inventory, its reloads, and the assignments cut from it.

The inventory is loaded at start (a bad one stops the start) and reloaded on SIGHUP or when a
file changes. A reload is all or nothing: a bad inventory is logged problem by problem and the
collector keeps serving the previous one, so agents keep their assignments. Assignments and
their ETags are computed once per agent per inventory version and cached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from netwarden.collector.assignment import assignment_for, canonical_json, etag
from netwarden.inventory import load_inventory
from netwarden.inventory.loader import file_stamps, reload_or_log
from netwarden.inventory.model import Agent, Inventory

log = logging.getLogger(__name__)

WATCH_EVERY = 2.0  # seconds between checks of the inventory files' modification times


@dataclass(frozen=True)
class Assignment:
    """One agent's slice as it is served: its canonical bytes (the 200 body) and its ETag.
    Only bytes are kept: a thousand cached documents as dicts would be millions of objects for
    every full garbage collection to scan (measured: 100-300 ms event-loop stalls)."""

    body: bytes
    etag: str


class _Loaded:
    """One inventory version with its lookups and assignment cache, swapped as one reference."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.agents = {a.id: a for a in inventory.agents}
        # Built here, where (re)loads run (at start, or in a worker thread), not on the event
        # loop when a whole fleet asks at once after a restart (~1 ms each at 1,000 agencies).
        self.cache = {agent_id: _assignment(inventory, agent_id) for agent_id in self.agents}


def _assignment(inventory: Inventory, agent_id: str) -> Assignment:
    document = assignment_for(inventory, agent_id)
    return Assignment(canonical_json(document), etag(document))


class InventoryState:
    """The inventory the collector serves from; swapped whole on a good reload."""

    def __init__(self, paths: Sequence[Path], inventory: Inventory | None = None) -> None:
        self.paths = list(paths)
        self._stamps = file_stamps(self.paths)
        self._loaded = _Loaded(inventory if inventory is not None else load_inventory(self.paths))
        self.reload_ok = True
        self.reload_time = time.time()

    @property
    def inventory(self) -> Inventory:
        """The inventory in use."""
        return self._loaded.inventory

    def agent(self, agent_id: str) -> Agent | None:
        """The inventory's agent ``agent_id`` (None if it has none)."""
        return self._loaded.agents.get(agent_id)

    def assignment(self, agent_id: str) -> Assignment | None:
        """The agent's assignment (None when the inventory does not list the agent)."""
        return self._loaded.cache.get(agent_id)

    def changed(self) -> bool:
        """True when an inventory file changed since the last (attempted) load."""
        return file_stamps(self.paths) != self._stamps

    def reload(self) -> bool:
        """Load the files again; keep the running inventory (and say why) if they are bad."""
        self._stamps = file_stamps(self.paths)
        inventory = reload_or_log(lambda: load_inventory(self.paths), log)
        if inventory is None:
            self.reload_ok, self.reload_time = False, time.time()
            return False
        # One reference swap: readers see the old or the new inventory, never a mix.
        self._loaded = _Loaded(inventory)
        self.reload_ok, self.reload_time = True, time.time()
        log.info(
            "inventory reloaded: %d agents, %d devices",
            len(inventory.agents),
            len(inventory.devices),
        )
        return True

    async def watch(
        self, stop: asyncio.Event, hup: asyncio.Event, every: float = WATCH_EVERY
    ) -> None:
        """Reload when ``hup`` is set (SIGHUP) or a file changes, until ``stop`` is set."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(hup.wait(), timeout=every)
            except TimeoutError:
                if not self.changed():
                    continue
            hup.clear()
            # Parsing thousands of devices takes a while: keep the event loop serving.
            await asyncio.to_thread(self.reload)
