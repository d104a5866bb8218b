"""An enrolled agent sends every new revision of its devices' configurations to the collector,
so a lost agent box loses no history (and the collector can show a diff without the agent).

The shipper reads the config store, not the backup jobs: every few seconds it compares each
device's latest commit (the store's state.json, cheap) with the last one it shipped (kept in
the state dir, ``config-revisions.json``), and queues a ``config-revision`` result for each
commit in between, oldest first. So a revision is sent whoever stored it (the agent's backup,
or an admin's ``netwarden config backup`` into the agent's store), and none is lost when the
agent stops between a backup and its sending: the next start sends it. The marker moves only
after the results are on disk in the queue; a crash or a stop in between (the fleet sync
cancels the shipper between the queue's commit and the marker's write) queues them again. So
a revision's result id is derived from the revision (``revision_result_id``), not drawn: the
queue holds it once, and one sent again after its delivery is a duplicate the collector counts
and drops, not a second result (its history keeps each (device, commit) once either way).

Payload (``docs/collector-api.md``): ``{"device", "site", "role", "commit",
"previous_commit", "time", "fetched_at", "sha256", "size", "config_gzip_b64"}``; the
configuration is the store's (normalised, secrets redacted), gzip'd and base64'd.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from netwarden.agent.configs.jobs import ConfigBackups
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.disk_queue import Item
from netwarden.agent.sync.pacing import pause
from netwarden.agent.sync.state_dir import atomic_write
from netwarden.config_diff import Revision
from netwarden.errors import NetwardenError

log = logging.getLogger(__name__)

KIND: Final = "config-revision"
MAX_BACKLOG: Final = 100  # revisions per device sent at once (a store kept before enrolment)
MAX_ENCODED: Final = 768 * 1024  # bytes of base64: the result must fit a 1 MiB request
# The namespace of the revisions' result ids (uuid5): fixed, so every start derives the same.
RESULT_IDS: Final = uuid.UUID("5f0b6c2e-8d1a-4e0f-9b1c-7a3d2e4f6a80")


@dataclass(frozen=True, slots=True)
class Device:
    """A device whose revisions are shipped, with the labels the collector keeps."""

    id: str
    site: str
    role: str


def revision_result_id(device: str, commit: str) -> str:
    """The result id of ``device``'s revision ``commit``: the same whenever it is queued."""
    return str(uuid.uuid5(RESULT_IDS, f"{KIND}\n{device}\n{commit}"))


def revision_payload(
    device: Device, rev: Revision, previous: str | None, text: str
) -> dict[str, Any] | None:
    """The ``config-revision`` payload of one revision (None when it is too large to send)."""
    raw = text.encode("utf-8")
    # mtime 0: the same configuration always encodes to the same bytes
    encoded = base64.b64encode(gzip.compress(raw, mtime=0)).decode("ascii")
    if len(encoded) > MAX_ENCODED:
        return None
    return {
        "device": device.id,
        "site": device.site,
        "role": device.role,
        "commit": rev.commit,
        "previous_commit": previous,
        "time": rev.time.isoformat(),
        "fetched_at": rev.time.timestamp(),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "size": len(raw),
        "config_gzip_b64": encoded,
    }


class RevisionShipper:
    """Queues new revisions of ``backups``' devices every ``every`` seconds (see above)."""

    def __init__(
        self, backups: ConfigBackups, queue: AsyncDiskQueue, marker: Path, every: float = 10.0
    ) -> None:
        self.backups, self.queue, self.marker, self.every = backups, queue, marker, every
        self.sent = 0

    async def run(self, stop: asyncio.Event) -> None:
        while True:
            try:
                await self.ship_new()
            except (NetwardenError, OSError) as exc:  # the store or the disk: try again later
                log.warning("config revisions not sent this time: %s", exc)
            if await pause(stop, self.every):
                return

    async def ship_new(self) -> int:
        """Queue every revision not shipped yet; how many were queued."""
        devices = [Device(j.device, j.site, j.role) for j in self.backups.latest()]
        items, shipped = await asyncio.to_thread(self._collect, devices)
        if items:
            await self.queue.put_many(items)
            self.sent += len(items)
        if shipped:
            await asyncio.to_thread(self._remember, shipped)
        return len(items)

    def _shipped(self) -> dict[str, str]:
        try:
            data = json.loads(self.marker.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:  # damaged: send again; the collector dedups
            log.warning("%s is unreadable (%s): re-sending config revisions", self.marker, exc)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _remember(self, shipped: dict[str, str]) -> None:
        marker = {**self._shipped(), **shipped}
        atomic_write(self.marker, json.dumps(marker, indent=1, sort_keys=True).encode())

    def _collect(self, devices: list[Device]) -> tuple[list[Item], dict[str, str]]:
        """Runs in a worker thread: git is a subprocess."""
        store = self.backups.store
        records = store.records()
        done = self._shipped()
        items: list[Item] = []
        shipped: dict[str, str] = {}
        for device in devices:
            record = records.get(device.id)
            if record is None or done.get(device.id) == record.commit:
                continue
            try:
                items += _new_revisions(store, device, done.get(device.id))
            except NetwardenError as exc:
                log.warning("config revisions of %s not sent: %s", device.id, exc)
                continue
            shipped[device.id] = record.commit
        return items, shipped


def _new_revisions(store: ConfigStore, device: Device, last_sent: str | None) -> list[Item]:
    """The ``config-revision`` items of ``device``'s commits after ``last_sent``, oldest first."""
    history = store.history(device.id)  # newest first
    commits = [r.commit for r in history]
    fresh = commits.index(last_sent) if last_sent in commits else min(len(history), MAX_BACKLOG)
    items = []
    for n in reversed(range(fresh)):
        rev = history[n]
        previous = history[n + 1].commit if n + 1 < len(history) else None
        payload = revision_payload(device, rev, previous, store.show(device.id, rev.commit))
        if payload is None:
            log.error("configuration of %s at %s is too large to send", device.id, rev.commit)
            continue
        result_id = revision_result_id(device.id, rev.commit)
        items.append(Item(KIND, payload, time.time(), id=result_id))
    return items
