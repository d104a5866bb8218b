"""The retention bound, applied once at start and then every hour while the collector runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.port import StoreApi
from netwarden.collector.incidents.retention import Retention
from netwarden.errors import NetwardenError

log = logging.getLogger("netwarden.collector.incidents")

EVERY = 3600.0


async def run_retention(
    record: IncidentServices, clock: Callable[[], float], stop: asyncio.Event, every: float = EVERY
) -> None:
    """Prune closed incidents past the bound until ``stop`` is set (in a worker thread: the
    deletes and file removals must not hold up the event loop)."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(record.prune, clock())
        except NetwardenError as exc:
            # The database may be down for a while: try again at the next round.
            log.error("retention: pruning failed: %s", exc)
        except Exception:
            # A bug must not end pruning for the life of the process: log it, go on.
            log.exception("retention: pruning failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            continue


async def run_event_retention(
    store: StoreApi,
    retention: Retention,
    clock: Callable[[], float],
    stop: asyncio.Event,
    every: float = EVERY,
) -> None:
    """Delete traps and syslog events older than ``retention`` (``--event-retention``)."""
    while not stop.is_set():
        try:
            removed = await asyncio.to_thread(store.prune_events, retention.cutoff(clock()))
            if removed:
                log.info("retention: %d events older than %s deleted", removed, retention)
        except NetwardenError as exc:
            log.error("retention: pruning events failed: %s", exc)
        except Exception:
            log.exception("retention: pruning events failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            continue
