"""One Alertmanager webhook into the incident record, in one transaction under the lock.

Each alert is handled on its own ``status`` (see ``incidents.lifecycle``): a repeat of what is
stored is a duplicate; a new (fingerprint, startsAt) joins the open incident of its key, or
re-opens the key's incident resolved less than 30 minutes before it started, or opens a new
one; ``resolved`` records the end of a stored firing. Then every incident whose alerts have
all resolved resolves by itself. The caller's transaction makes the whole request one unit:
an error anywhere leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from netwarden.collector.incidents import lifecycle, severity
from netwarden.collector.incidents.keys import incident_key, opens_incident, subject_of
from netwarden.collector.incidents.lifecycle import AlertEffect
from netwarden.collector.incidents.maintenance import Window
from netwarden.collector.incidents.payload import AlertIn, Webhook
from netwarden.collector.incidents.records import IntakeResult, dumps
from netwarden.collector.incidents.times import NS, format_ns, vietnam_day
from netwarden.collector.incidents.topology import Topology
from netwarden.collector.store import audit
from netwarden.collector.store import maintenance as windows
from netwarden.collector.store.incident_schema import incident_alerts as ia
from netwarden.collector.store.incident_schema import incidents
from netwarden.collector.store.incident_work import IncidentWork, from_row, lock, one_line
from netwarden.collector.store.playbook_store import busy_incidents

IN_CHUNK = 500  # fingerprints per IN (...) list: well under SQLite's variable limit
AUTO = "collector"  # the actor of what the collector decides by itself


class Intake:
    """The work of one webhook request (``run`` it once, inside a write transaction)."""

    def __init__(self, conn: Connection, topology: Topology, actor: str, now: float) -> None:
        self.conn, self.topology, self.actor, self.now = conn, topology, actor, now
        self.result = IntakeResult()
        self._stored: dict[tuple[str, int], tuple[str, str]] = {}  # -> (status, incident id)
        self._by_id: dict[str, IncidentWork] = {}
        self._by_key: dict[str, IncidentWork] = {}
        self._next_seq: dict[str, int] = {}
        self._windows: list[Window] = []
        # Alert rows are written in two statements at the end, not one per alert (a storm's
        # group of 500 took 0.5 s one by one on SQLite).
        self._new_rows: list[dict[str, object]] = []
        self._ends: list[dict[str, object]] = []

    def run(self, hook: Webhook) -> IntakeResult:
        """Apply every alert of ``hook``; flush and return what was done."""
        lock(self.conn)
        if hook.alerts:
            self._load_stored(hook.alerts)
            starts = [a.starts_ns / NS for a in hook.alerts]
            self._windows = windows.between(self.conn, min(starts), max(starts) + 1e-6)
        for alert in hook.alerts:
            self._apply(alert)
        self._write_alerts()
        self._auto_resolve()
        if hook.truncated:
            self._note_truncated(hook.truncated)
        for work in self._by_id.values():
            work.flush(self.conn, self.now)  # only those with new timeline lines write
        return self.result

    # --- reading what is stored ---------------------------------------------------------
    def _load_stored(self, alerts: Iterable[AlertIn]) -> None:
        fingerprints = sorted({a.fingerprint for a in alerts})
        for i in range(0, len(fingerprints), IN_CHUNK):
            rows = self.conn.execute(
                sa.select(ia.c.fingerprint, ia.c.starts_ns, ia.c.status, ia.c.incident_id).where(
                    ia.c.fingerprint.in_(fingerprints[i : i + IN_CHUNK])
                )
            )
            for fp, starts, status, incident_id in rows:
                self._stored[(fp, starts)] = (status, incident_id)

    def _incident(self, incident_id: str) -> IncidentWork:
        work = self._by_id.get(incident_id)
        if work is None:
            row = (
                self.conn.execute(sa.select(incidents).where(incidents.c.id == incident_id))
                .mappings()
                .one()
            )
            work = self._by_id[incident_id] = from_row(self.conn, row)
        return work

    def _latest_for(self, key: str) -> IncidentWork | None:
        """The key's active incident, else its most recently resolved one (None if neither)."""
        for statuses, order in (
            (lifecycle.ACTIVE, incidents.c.created_at.desc()),
            (("resolved",), incidents.c.resolved_at.desc()),
        ):
            found = self.conn.execute(
                sa.select(incidents.c.id)
                .where(incidents.c.key == key, incidents.c.status.in_(statuses))
                .order_by(order)
                .limit(1)
            ).scalar()
            if found is not None:
                return self._incident(found)
        return None

    # --- alerts -------------------------------------------------------------------------
    def _apply(self, alert: AlertIn) -> None:
        if not opens_incident(alert.labels):
            self.result.accepted += 1  # the webhook's liveness counts it; nothing is stored
            return
        ident = (alert.fingerprint, alert.starts_ns)
        stored = self._stored.get(ident)
        done = lifecycle.effect(stored[0] if stored else None, alert.status)
        if done is AlertEffect.DUPLICATE:
            assert stored is not None
            self.result.duplicates += 1
            self.result.touch(stored[1])
            return
        self.result.accepted += 1
        if done is AlertEffect.RESOLVES:
            assert stored is not None
            work = self._incident(stored[1])
            self._record_end(work, alert)
        else:
            key = incident_key(alert.labels, self.topology.site_of_device)
            work = self._incident_for(key, alert)
            self._insert(work, alert)
        self._stored[ident] = (alert.status, work.id)
        self.result.touch(work.id)

    def _incident_for(self, key: str, alert: AlertIn) -> IncidentWork:
        work = self._by_key.get(key)
        if work is None:
            work = self._latest_for(key)
            if work is not None:
                self._by_key[key] = work
        if work is not None and work.status in lifecycle.ACTIVE:
            return work
        recent = work is not None and lifecycle.reopens(work.resolved_at, alert.starts_ns / NS)
        if work is not None and work.status == "resolved" and recent:
            if alert.status == "firing":
                self._reopen(work, alert)
            return work
        work = self._create(key, alert)
        self._by_key[key] = work
        return work

    def _create(self, key: str, alert: AlertIn) -> IncidentWork:
        starts = alert.starts_ns / NS
        day = vietnam_day(starts)
        seq = self._next_seq.get(day)
        if seq is None:
            last = self.conn.execute(
                sa.select(sa.func.max(incidents.c.day_seq)).where(incidents.c.day == day)
            ).scalar()
            seq = int(last or 0) + 1
        self._next_seq[day] = seq + 1
        subject = subject_of(key)
        affected = self.topology.affected(subject, alert.labels)
        summary = alert.annotations.get("summary", "")
        work = IncidentWork(
            id=f"INC-{day}-{seq:03d}",
            day=day,
            day_seq=seq,
            key=key,
            title=one_line(summary) or one_line(f"{alert.alertname}: {key}"),
            status="open",
            severity=severity.normalise(alert.severity),
            site=affected.primary_site,
            opened_at=starts,
            created_at=self.now,
            updated_at=self.now,
            affected=affected,
            is_new=True,
        )
        self._by_id[work.id] = work
        self.result.opened += 1
        work.log(self.now, "opened", AUTO, f"incident opened for {key}")
        work.flush(self.conn, self.now)  # the row its alerts refer to
        audit.record(self.conn, self.actor, "incident.open", work.id, key, now=self.now)
        return work

    def _reopen(self, work: IncidentWork, alert: AlertIn) -> None:
        # An acknowledged incident stays acknowledged: the team already owns this outage.
        work.status = "acknowledged" if work.acknowledged_at is not None else "open"
        work.resolved_at = work.resolved_by = work.resolution = None
        work.reopened += 1
        why = f"{alert.alertname} fired again within 30 minutes of the resolution"
        work.log(self.now, "reopened", AUTO, why)
        audit.record(self.conn, self.actor, "incident.reopen", work.id, why, now=self.now)
        self._by_key[work.key] = work

    def _insert(self, work: IncidentWork, alert: AlertIn) -> None:
        ends = alert.ends_ns
        if alert.status == "resolved" and ends is None:
            ends = int(self.now * NS)
        level = severity.normalise(alert.severity)
        self._new_rows.append(
            {
                "fingerprint": alert.fingerprint,
                "starts_ns": alert.starts_ns,
                "incident_id": work.id,
                "alertname": alert.alertname[:255],
                "status": alert.status,
                "severity": level,
                "ends_ns": ends if alert.status == "resolved" else None,
                "labels": dumps(alert.labels),
                "annotations": dumps(alert.annotations),
                "generator_url": alert.generator_url,
                "received_at": self.now,
                "resolved_received_at": self.now if alert.status == "resolved" else None,
            }
        )
        self.result.firing += 1
        starts = alert.starts_ns / NS
        work.opened_at = min(work.opened_at, starts)
        work.severity = severity.highest(work.severity, level)
        subject = subject_of(work.key)
        more = self.topology.affected(subject, alert.labels)
        if more is not work.affected:
            work.affected = work.affected.merged(more)
        summary = one_line(alert.annotations.get("summary", ""), 1000)
        text = f"{alert.alertname} firing since {format_ns(alert.starts_ns)}"
        work.log(starts, "alert-fired", self.actor, f"{text}: {summary}" if summary else text)
        if alert.status == "resolved":
            assert ends is not None
            self._log_end(work, alert, ends)
        self._check_maintenance(work, alert)

    def _record_end(self, work: IncidentWork, alert: AlertIn) -> None:
        ends = alert.ends_ns if alert.ends_ns is not None else int(self.now * NS)
        self._ends.append({"fp": alert.fingerprint, "starts": alert.starts_ns, "ends": ends})
        self._log_end(work, alert, ends)

    def _log_end(self, work: IncidentWork, alert: AlertIn, ends: int) -> None:
        self.result.resolved += 1
        fired = format_ns(alert.starts_ns)
        text = f"{alert.alertname} resolved at {format_ns(ends)} (firing since {fired})"
        work.log(ends / NS, "alert-resolved", self.actor, text)

    def _check_maintenance(self, work: IncidentWork, alert: AlertIn) -> None:
        if work.in_maintenance or not self._windows:
            return
        scope = self.topology.scope(subject_of(work.key), alert.labels)
        starts = alert.starts_ns / NS
        for window in self._windows:
            if window.covers(scope, starts):
                work.in_maintenance = True
                text = f"alert started inside maintenance window {window.id} ({window.target}): "
                work.log(self.now, "maintenance", AUTO, text + window.reason)
                return

    # --- after the alerts ---------------------------------------------------------------
    def _write_alerts(self) -> None:
        if self._new_rows:
            self.conn.execute(ia.insert(), self._new_rows)
        if self._ends:
            self.conn.execute(
                ia.update()
                .where(
                    ia.c.fingerprint == sa.bindparam("fp"), ia.c.starts_ns == sa.bindparam("starts")
                )
                .values(
                    status="resolved", ends_ns=sa.bindparam("ends"), resolved_received_at=self.now
                ),
                self._ends,
            )

    def _auto_resolve(self) -> None:
        active = [w for w in self._by_id.values() if w.status in lifecycle.ACTIVE]
        if not active:
            return
        ids = [w.id for w in active]
        firing: dict[str, int] = dict(
            self.conn.execute(
                sa.select(ia.c.incident_id, sa.func.count())
                .where(ia.c.incident_id.in_(ids), ia.c.status == "firing")
                .group_by(ia.c.incident_id)
            ).all()
        )
        last_end: dict[str, int | None] = dict(
            self.conn.execute(
                sa.select(ia.c.incident_id, sa.func.max(ia.c.ends_ns))
                .where(ia.c.incident_id.in_(ids))
                .group_by(ia.c.incident_id)
            ).all()
        )
        # A playbook still running keeps its incident open: the engine resolves it when the
        # last run ends (a queued agency-side step runs once the link is back).
        busy = busy_incidents(self.conn, ids)
        for work in active:
            if firing.get(work.id) or work.id in busy:
                continue
            ended = last_end.get(work.id)
            work.status = "resolved"
            work.resolved_at = ended / NS if ended is not None else self.now
            work.resolved_by = AUTO
            text = "resolved by itself: all its alerts have resolved"
            work.log(self.now, "status-changed", AUTO, text)
            audit.record(self.conn, AUTO, "incident.resolve", work.id, text, now=self.now)

    def _note_truncated(self, truncated: int) -> None:
        for incident_id in self.result.incidents:
            work = self._incident(incident_id)
            if work.truncated_alerts == truncated or work.status == "closed":
                continue
            work.truncated_alerts = truncated
            text = (
                f"Alertmanager left {truncated} alerts of this group out of its notification "
                "(max_alerts): see Alertmanager for the whole group"
            )
            work.log(self.now, "truncated", AUTO, text)
