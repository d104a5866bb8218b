"""The assignment: the agent's slice of the inventory, fetched with If-None-Match and kept in
the state dir, so the agent polls from it with or without the collector.

An unchanged assignment costs a 304 and no write. A new one is checked in full (the same
loader the agent polls with) before it replaces the old one on disk: a collector bug or a
half-edited inventory can never leave the agent with nothing to poll after a restart. A
rejected version is remembered by its ETag and not fetched again until the periodic refresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable

from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.replies import Reply
from netwarden.agent.sync.state_dir import StateDir
from netwarden.agent.sync.status import SyncStatus
from netwarden.errors import InventoryError, NetwardenError
from netwarden.inventory import load_inventory

log = logging.getLogger(__name__)


def canonical_etag(document: object) -> str:
    """The contract's ETag: SHA-256 of the canonical JSON (used when a reply carries none)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class AssignmentSync:
    """Fetches this agent's assignment into ``state``; ``on_update()`` runs after each change."""

    def __init__(
        self,
        client: CollectorClient,
        state: StateDir,
        status: SyncStatus,
        on_update: Callable[[], None],
    ) -> None:
        self._client, self._state, self._status = client, state, status
        self._on_update = on_update
        self.etag = state.read_etag()
        self.rejected_etag: str | None = None
        self.path = f"/api/v1/agents/{status.agent}/assignment"

    def wants(self, etag: str | None) -> bool:
        """True when the collector's ``etag`` (from a heartbeat) is one worth fetching."""
        return etag is not None and etag not in (self.etag, self.rejected_etag)

    async def fetch(self) -> Reply:
        """One conditional GET; on a new assignment, check it, store it and call on_update."""
        headers = {"If-None-Match": f'"{self.etag}"'} if self.etag else {}
        reply = await self._client.get(self.path, headers=headers)
        self._status.answered(reply)
        if not reply.ok or reply.status == 304:
            return reply
        if not isinstance(reply.data, dict):
            log.error("assignment rejected: the collector's answer is not an inventory document")
            return reply
        etag = reply.etag or canonical_etag(reply.data)
        body = (json.dumps(reply.data, indent=1, ensure_ascii=False) + "\n").encode()
        problems = await asyncio.to_thread(self._check, body)
        if problems:
            self.rejected_etag = etag
            for problem in problems[:20]:
                log.error("assignment %s rejected: %s", etag[:12], problem)
            return reply
        await asyncio.to_thread(self._state.write_assignment, body, etag)
        self.etag, self.rejected_etag = etag, None
        self._status.assignment_updates += 1
        log.info("assignment %s stored", etag[:12])
        self._on_update()
        return reply

    def _check(self, body: bytes) -> list[str]:
        candidate = self._state.path / ".assignment.candidate.json"
        candidate.write_bytes(body)  # only to be read back by the loader: no fsync
        try:
            inventory = load_inventory([candidate])
        except InventoryError as exc:
            return exc.problems
        except NetwardenError as exc:
            return [str(exc)]
        finally:
            candidate.unlink(missing_ok=True)
        if self._status.agent not in {agent.id for agent in inventory.agents}:
            return [f"agent {self._status.agent} is not in it"]
        return []
