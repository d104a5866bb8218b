"""The collector's playbooks: the library, the engine, its loop, and how runs start.

``PlaybookServices`` is built by ``collector serve`` (and tests) beside the incident record.
Runs start from the Alertmanager webhook (every firing alert that opened or joined an
incident, for each playbook it matches) or by hand (``POST /api/v1/playbook-runs``). The loop
moves every active run on each ``TICK`` seconds, at once when woken (a webhook, a job
result, a decision), in a worker thread: the store calls block.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.longpoll import JobSignals
from netwarden.collector.incidents.payload import AlertIn, Webhook
from netwarden.collector.store import Store
from netwarden.collector.store.errors import StoreError
from netwarden.collector.store.events import EventQuery
from netwarden.collector.store.playbook_store import PlaybookStore, RunRefused
from netwarden.inventory.model import Inventory
from netwarden.playbooks.collector_actions import CollectorActions
from netwarden.playbooks.context import start_context
from netwarden.playbooks.engine import Engine
from netwarden.playbooks.library import Library
from netwarden.playbooks.loader import Loaded
from netwarden.playbooks.templates import TemplateError

log = logging.getLogger("netwarden.playbooks")

TICK = 1.0  # s between passes when nothing wakes the loop


def alert_json(alert: AlertIn) -> dict[str, Any]:
    """An alert as templates see it (``alert.labels``, ``alert.annotations`` ...)."""
    return {
        "fingerprint": alert.fingerprint,
        "status": alert.status,
        "alertname": alert.alertname,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "starts_at": alert.starts_ns / 1e9,
    }


@dataclass
class PlaybookServices:
    """The library, the runs' store and the engine; every method but ``loop`` blocks."""

    library: Library
    runs: PlaybookStore
    engine: Engine
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def start(
        self,
        loaded: Loaded,
        inventory: Inventory,
        *,
        labels: dict[str, str],
        alert: dict[str, Any] | None,
        incident: dict[str, Any] | None,
        inputs: dict[str, Any],
        started_by: str,
        now: float,
        dedupe: str | None = None,
    ) -> str:
        """Start one run (``RunRefused``/``TemplateError`` say why not)."""
        context = start_context(
            loaded.playbook, inventory, alert=alert, labels=labels, incident=incident, inputs=inputs
        )
        trigger = {"labels": labels, "incident": incident["id"] if incident else None}
        if alert is not None and alert.get("fingerprint"):
            trigger["fingerprint"] = alert["fingerprint"]
        return self.engine.start(
            loaded,
            context=context,
            incident_id=incident["id"] if incident else None,
            trigger=trigger,
            started_by=started_by,
            now=now,
            dedupe=dedupe,
        )

    def dry_run(
        self,
        loaded: Loaded,
        inventory: Inventory,
        *,
        labels: dict[str, str],
        alert: dict[str, Any] | None,
        incident: dict[str, Any] | None,
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Every step rendered, with the agent that would run it; nothing stored or sent."""
        context = start_context(
            loaded.playbook, inventory, alert=alert, labels=labels, incident=incident, inputs=inputs
        )
        return self.engine.dry_run(loaded.playbook, context, labels)

    def on_webhook(self, hook: Webhook, inventory: Inventory, now: float) -> list[str]:
        """Start the playbooks the hook's firing alerts match; the run ids started."""
        started = []
        for alert in hook.alerts:
            if alert.status != "firing":
                continue
            matching = self.library.matching(alert.labels)
            if not matching:
                continue
            incident = self.runs.incident_of(alert.fingerprint, alert.starts_ns)
            if incident is None or incident["status"] not in ("open", "acknowledged"):
                continue
            for loaded in matching:
                dedupe = f"alert={alert.fingerprint}@{alert.starts_ns},incident={incident['id']}"
                try:
                    started.append(
                        self.start(
                            loaded,
                            inventory,
                            labels=dict(alert.labels),
                            alert=alert_json(alert),
                            incident=incident,
                            inputs={},
                            started_by="collector",
                            now=now,
                            dedupe=dedupe,
                        )
                    )
                except RunRefused as exc:
                    log.info("%s", exc)
                except (TemplateError, StoreError) as exc:
                    log.warning("playbook %s not started: %s", loaded.playbook.id, exc)
        return started

    async def loop(
        self, clock: Callable[[], float], stop: asyncio.Event, signals: JobSignals
    ) -> None:
        """Move runs on until ``stop``; a failing pass is logged and the next one tried.
        Agents given a job are woken at once (their long-poll answers), as for a user's job."""
        await run_in_threadpool(self.engine.recover, clock())
        while not stop.is_set():
            self.wake.clear()
            try:
                await run_in_threadpool(self.engine.tick, clock())
            except Exception:  # the loop must outlive a database hiccup
                log.exception("playbook engine pass failed")
            for agent in self.engine.take_queued_for():
                signals.notify(agent)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), TICK)


def _no_inventory() -> Inventory:
    raise RuntimeError("the playbook engine runs inside create_app, which gives it the inventory")


def build_playbooks(
    store: Store,
    incidents: IncidentServices | None,
    library: Library,
    *,
    smtp: tuple[str, int] = ("localhost", 25),
    sender: str = "netwarden@localhost",
) -> PlaybookServices:
    """The playbook services over the collector's store; evidence and report drafts go to
    the incident record when the collector keeps one; ``notify`` e-mails through ``smtp``."""
    runs = PlaybookStore(store.engine)
    actions = CollectorActions(
        smtp_host=smtp[0], smtp_port=smtp[1], sender=sender, event_reader=StoredEvents(store)
    )
    engine = Engine(runs, store, _no_inventory, actions=actions)
    if incidents is not None:
        engine.evidence = IncidentEvidence(incidents)
        # create_app replaces engine.inventory: read it when the report is made.
        actions.report_maker = ReportDrafts(incidents, lambda: engine.inventory())  # noqa: PLW0108
    return PlaybookServices(library, runs, engine)


@dataclass
class StoredEvents:
    """``events``: a device's newest events from the collector's events store."""

    store: Store

    def __call__(self, device: str, since: float, until: float, limit: int) -> list[dict[str, Any]]:
        query = EventQuery(since=since, until=until, device=device, limit=limit, newest=True)
        return self.store.events(query)[0]


@dataclass
class IncidentEvidence:
    """A step's output kept as evidence: the file stored by its SHA-256, a row in the record."""

    incidents: IncidentServices

    def __call__(
        self, incident_id: str, *, name: str, data: bytes, source: str, step: str, now: float
    ) -> int:
        sha256, size = self.incidents.evidence.save_bytes(data)
        row = self.incidents.store.add_evidence(
            incident_id, name=name, sha256=sha256, size=size, source=source, step=step, now=now
        )
        return row.id


@dataclass
class ReportDrafts:
    """``report``: the national report draft of the incident (reports/national), recorded as
    made (its ``report-made`` timeline line) like ``incident report``."""

    incidents: IncidentServices
    inventory: Callable[[], Inventory]

    def __call__(self, incident_id: str, form: str, fmt: str, now: float) -> tuple[str, bytes]:
        from netwarden.reports.national.drafts import incident_draft  # lazy: PDF renderers

        record = self.incidents
        given = record.reports.report_input(incident_id)
        rendered = incident_draft(
            form,
            fmt,
            given,
            inventory=self.inventory(),
            config=record.reporting,
            now=now,
        )
        record.reports.record_made(
            incident_id,
            form=form,
            fmt=fmt,
            template=record.reporting.template,
            sha256=hashlib.sha256(rendered.data).hexdigest(),
            size=len(rendered.data),
            actor="collector",
            now=now,
        )
        return f"{incident_id}-{form}.{fmt}", rendered.data
