"""The uploader: drains the disk queue to the collector, oldest first, in batches.

A batch is acknowledged (deleted) only after a 2xx, so a crash between the post and the ack
re-sends it with the same ids and the collector stores each once. While the collector is
unreachable (or answers 5xx) nothing is dropped: the uploader backs off (1 s ... 60 s, with
jitter) and retries the same batch. When the collector was unreachable (no connection, no
answer), the first request of any loop that gets through again (the next heartbeat) ends the
backoff at once: a queue that grew over a WAN outage drains when the link is back, not up to a
minute later. A collector that answers 5xx is overloaded or broken: there the backoff runs out.

A batch refused as malformed (400, 413, 422) is split in halves until the one result at fault
is alone; that one is dropped and counted (``dropped{reason="rejected"}``), so a single
poisoned result never blocks the queue.
"""

from __future__ import annotations

import asyncio
import logging

from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.disk_queue import Entry
from netwarden.agent.sync.pacing import Backoff, pause, pause_or_wake
from netwarden.agent.sync.replies import UNANSWERED, Outcome, Reply
from netwarden.agent.sync.status import SyncStatus

log = logging.getLogger(__name__)

BATCH_RESULTS = 500
BATCH_BYTES = 512 * 1024
MALFORMED = (400, 413, 422)  # statuses that blame the batch's content, not the agent
IDLE_WAIT = 1.0  # seconds between looks at an empty queue (a put wakes the uploader at once)


def batch_body(entries: list[Entry]) -> bytes:
    """The results request: the queued bodies are already the Results' JSON."""
    return ('{"results":[' + ",".join(e.body for e in entries) + "]}").encode()


class Uploader:
    """Posts ``queue``'s results for agent ``agent`` until ``stop`` or revocation."""

    def __init__(
        self,
        client: CollectorClient,
        queue: AsyncDiskQueue,
        status: SyncStatus,
        *,
        batch_results: int = BATCH_RESULTS,
        batch_bytes: int = BATCH_BYTES,
        backoff: Backoff | None = None,
    ) -> None:
        self._client, self._queue, self._status = client, queue, status
        self._max, self._bytes = batch_results, batch_bytes
        self._limit = batch_results  # shrinks while bisecting a refused batch
        self._backoff = backoff or Backoff()
        self.path = f"/api/v1/agents/{status.agent}/results"

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set() and not self._status.halted.is_set():
            entries = await self._queue.peek(self._limit, self._bytes)
            if not entries:
                await self._queue.wait_added(IDLE_WAIT)
                continue
            reply = await self._client.request("POST", self.path, body=batch_body(entries))
            self._status.answered(reply)
            if reply.ok:
                await self._delivered(entries, reply)
            elif reply.outcome is Outcome.revoked:
                return
            elif reply.outcome is Outcome.client_error and reply.status in MALFORMED:
                await self._refused(entries, reply)
            elif await self._back_off(stop, reply):
                return

    async def _back_off(self, stop: asyncio.Event, reply: Reply) -> bool:
        """Wait before retrying the batch; True when stopping."""
        delay = self._backoff.next()
        if reply.outcome not in UNANSWERED:
            return await pause(stop, delay)
        # Registered right after this failure was noted (no await since), so a heartbeat that
        # gets through at any point of the wait ends it.
        with self._status.next_contact() as contact:
            return await pause_or_wake(stop, contact, delay)

    async def _delivered(self, entries: list[Entry], reply: Reply) -> None:
        await self._queue.ack(entries[-1].seq)
        self._status.results_sent += len(entries)
        self._backoff.reset()
        self._limit = min(self._max, self._limit * 2)  # grow back after a bisection
        data = reply.data if isinstance(reply.data, dict) else {}
        counted = int(data.get("accepted", 0)) + int(data.get("duplicates", 0))
        if counted != len(entries):
            log.warning("collector counted %d of the %d results posted", counted, len(entries))

    async def _refused(self, entries: list[Entry], reply: Reply) -> None:
        if len(entries) > 1:
            self._limit = max(1, len(entries) // 2)
            log.warning(
                "collector refused a batch of %d results (%s): splitting it",
                len(entries),
                reply.error,
            )
            return
        entry = entries[0]
        log.error(
            "collector refused result %s (%s, %d bytes): dropped: %s",
            entry.id,
            entry.kind,
            entry.size,
            reply.error,
        )
        await self._queue.reject(entry.seq)
