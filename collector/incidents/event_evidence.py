"""The events of an incident's devices as its evidence: one JSON Lines file, content-addressed.

Attached when the incident resolves (by hand or when its alerts resolve), and on demand
(``POST /api/v1/incidents/{id}/evidence/events``). The file holds every trap and syslog event
of the incident's devices from ``LEAD`` seconds before it opened until it resolved (or now,
for an open incident), oldest first. Identical content is attached once: an incident that
resolves, reopens and resolves again gets a second file only if more events came.
"""

from __future__ import annotations

import json
from typing import Any

from netwarden.collector.api.port import StoreApi
from netwarden.collector.incidents.records import EvidenceRow
from netwarden.collector.store.events import MAX_LIMIT, EventQuery

LEAD = 300.0  # seconds before the incident opened: the flaps and logs that led to it
SOURCE = "collector:events"


def incident_events(
    events: StoreApi, devices: list[str], since: float, until: float
) -> list[dict[str, Any]]:
    """Every event of ``devices`` in [since, until], oldest first (paged by the events' seq)."""
    found: list[dict[str, Any]] = []
    for device in devices:
        after = 0
        for _ in range(1000):  # at most a thousand pages of 10,000 events a device
            page, _ = events.events(
                EventQuery(since=since, until=until, device=device, after=after, limit=MAX_LIMIT)
            )
            found.extend(page)
            if len(page) < MAX_LIMIT:
                break
            after = int(page[-1]["seq"])
    return sorted(found, key=lambda e: (e["at"], e["seq"]))


def attach_events(
    events: StoreApi, record: Any, incident_id: str, now: float
) -> tuple[EvidenceRow | None, int]:
    """Attach the incident's events (``record`` is the IncidentServices); returns the new
    evidence row (None when there were no events or the same file is attached already) and
    how many events the file holds."""
    detail = record.store.incident(incident_id)
    inc = detail.incident
    devices = [t.id for t in inc.affected.devices]
    until = inc.resolved_at if inc.resolved_at is not None else now
    found = incident_events(events, devices, inc.opened_at - LEAD, until + 0.001)
    if not found:
        return None, 0
    body = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in found)
    sha256, size = record.evidence.save_bytes(body.encode())
    if any(e.sha256 == sha256 for e in detail.evidence):
        return None, len(found)
    row = record.store.add_evidence(
        incident_id,
        name=f"events-{incident_id}.jsonl",
        sha256=sha256,
        size=size,
        source=SOURCE,
        step=None,
        now=now,
    )
    return row, len(found)
