"""Playbook runs in the store: create (throttle and lock in the same transaction), read,
update, and the incident side (timeline lines, auto-resolve once nothing runs).

Every method is one short transaction and blocks: the engine calls them from a worker thread.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from netwarden.collector.incidents import lifecycle
from netwarden.collector.incidents.times import vietnam_day
from netwarden.collector.store import audit
from netwarden.collector.store import engine as db
from netwarden.collector.store.errors import StoreInputError
from netwarden.collector.store.incident_schema import incident_alerts as ia
from netwarden.collector.store.incident_schema import incidents
from netwarden.collector.store.incident_work import load
from netwarden.collector.store.playbook_schema import playbook_runs as pr
from netwarden.collector.store.playbook_schema import playbook_steps as ps

ACTIVE_RUN = ("running", "waiting")
"""A run in one of these states still holds its lock and keeps its incident open."""
AUTO = "collector"
LIVE_STEP = ("dispatched", "waiting", "running")
"""A step attempt in one of these states has not ended yet."""


@dataclass(frozen=True)
class NewRun:
    """What starting a run needs (the engine fills it from a playbook and a trigger)."""

    playbook_id: str
    title: str
    sha256: str
    definition: dict[str, Any]
    incident_id: str | None
    trigger: dict[str, Any]
    started_by: str
    context: dict[str, Any]
    lock_key: str | None
    throttle_key: str | None
    throttle_window: float | None


class RunRefused(StoreInputError):
    """A run not started: throttled, or its lock is held (one line, says by which run)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def run_json(row: RowMapping) -> dict[str, Any]:
    """A ``playbook_runs`` row as the API's JSON (definition and context left out)."""
    return {
        "id": row["id"],
        "playbook": row["playbook_id"],
        "title": row["title"],
        "sha256": row["sha256"],
        "incident": row["incident_id"],
        "status": row["status"],
        "trigger": json.loads(row["trigger"]),
        "started_by": row["started_by"],
        "step": row["step"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "ended_at": row["ended_at"],
        "reason": row["reason"],
        "conclusions": json.loads(row["conclusions"]),
    }


def step_json(row: RowMapping) -> dict[str, Any]:
    """A ``playbook_steps`` row as the API's JSON."""
    return {
        "seq": row["seq"],
        "step": row["step_id"],
        "attempt": row["attempt"],
        "action": row["action"],
        "status": row["status"],
        "agent": row["agent_id"],
        "args": json.loads(row["args"]) if row["args"] is not None else None,
        "jobs": json.loads(row["jobs"]),
        "created_at": row["created_at"],
        "not_before": row["not_before"],
        "started_at": row["started_at"],
        "ended_at": row["ended_at"],
        "deadline": row["deadline"],
        "output": json.loads(row["output"]) if row["output"] is not None else None,
        "text": row["text"],
        "error": row["error"],
        "evidence": row["evidence"],
        "late": bool(row["late"]),
    }


def log_incident(conn: Connection, incident_id: str | None, text: str, now: float) -> None:
    """A ``playbook`` line in the incident's timeline (none for a run without incident, or
    once the incident is closed: its record is final)."""
    if incident_id is None:
        return
    work = load(conn, incident_id)
    if work.status == "closed":
        return
    work.log(now, "playbook", AUTO, text)
    work.flush(conn, now)


class PlaybookStore:
    """The runs' tables over the collector's engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- starting ------------------------------------------------------------------------
    def create_run(self, new: NewRun, now: float) -> str:
        """Store a new run (status ``running``); ``RunRefused`` when throttled or locked."""
        with db.write(self._engine) as conn:
            self._refusal(conn, new, now)
            day = vietnam_day(now)
            last = conn.execute(sa.select(sa.func.max(pr.c.day_seq)).where(pr.c.day == day))
            seq = (last.scalar() or 0) + 1
            run_id = f"RUN-{day}-{seq:03d}"
            conn.execute(
                pr.insert().values(
                    id=run_id,
                    day=day,
                    day_seq=seq,
                    playbook_id=new.playbook_id,
                    title=new.title,
                    sha256=new.sha256,
                    definition=_dumps(new.definition),
                    incident_id=new.incident_id,
                    status="running",
                    trigger=_dumps(new.trigger),
                    started_by=new.started_by,
                    context=_dumps(new.context),
                    lock_key=new.lock_key,
                    throttle_key=new.throttle_key,
                    step=0,
                    created_at=now,
                    started_at=now,
                    updated_at=now,
                    conclusions="[]",
                )
            )
            text = f"playbook {new.playbook_id} started as {run_id} by {new.started_by}"
            log_incident(conn, new.incident_id, text, now)
            audit.record(conn, new.started_by, "playbook.run", run_id, text, now=now)
            return run_id

    def _refusal(self, conn: Connection, new: NewRun, now: float) -> None:
        if new.throttle_key is not None and new.throttle_window is not None:
            recent = conn.execute(
                sa.select(pr.c.id).where(
                    pr.c.playbook_id == new.playbook_id,
                    pr.c.throttle_key == new.throttle_key,
                    pr.c.created_at > now - new.throttle_window,
                )
            ).first()
            if recent is not None:
                raise RunRefused(
                    f"playbook {new.playbook_id} throttled: {recent[0]} ran for "
                    f"{new.throttle_key} less than {new.throttle_window:g} s ago"
                )
        if new.lock_key is not None:
            holder = conn.execute(
                sa.select(pr.c.id).where(pr.c.lock_key == new.lock_key, pr.c.status.in_(ACTIVE_RUN))
            ).first()
            if holder is not None:
                raise RunRefused(f"{new.lock_key} is locked by run {holder[0]}")

    # --- reading -------------------------------------------------------------------------
    def runs(self, incident_id: str | None, limit: int) -> list[dict[str, Any]]:
        """Runs, newest first (of one incident if given)."""
        query = sa.select(pr).order_by(pr.c.created_at.desc(), pr.c.id.desc()).limit(limit)
        if incident_id is not None:
            query = query.where(pr.c.incident_id == incident_id)
        with db.read(self._engine) as conn:
            return [run_json(r) for r in conn.execute(query).mappings()]

    def run_row(self, run_id: str) -> RowMapping | None:
        with db.read(self._engine) as conn:
            return conn.execute(sa.select(pr).where(pr.c.id == run_id)).mappings().first()

    def steps(self, run_id: str) -> list[RowMapping]:
        """The run's step attempts in order."""
        with db.read(self._engine) as conn:
            query = sa.select(ps).where(ps.c.run_id == run_id).order_by(ps.c.seq)
            return list(conn.execute(query).mappings())

    def run(self, run_id: str) -> dict[str, Any] | None:
        """One run with its steps, as the API's JSON."""
        row = self.run_row(run_id)
        if row is None:
            return None
        found = run_json(row)
        found["steps"] = [step_json(s) for s in self.steps(run_id)]
        return found

    def incident_of(self, fingerprint: str, starts_ns: int) -> dict[str, Any] | None:
        """The incident an alert firing joined: ``{id, title, status, ...}``, or None."""
        with db.read(self._engine) as conn:
            found = conn.execute(
                sa.select(ia.c.incident_id).where(
                    ia.c.fingerprint == fingerprint, ia.c.starts_ns == starts_ns
                )
            ).scalar()
            if found is None:
                return None
            row = conn.execute(sa.select(incidents).where(incidents.c.id == found)).mappings().one()
            keep = ("id", "key", "title", "status", "severity", "opened_at")
            return {k: row[k] for k in keep if k in row}

    def active_ids(self) -> list[str]:
        with db.read(self._engine) as conn:
            query = sa.select(pr.c.id).where(pr.c.status.in_(ACTIVE_RUN)).order_by(pr.c.id)
            return list(conn.execute(query).scalars())

    def timed_out(self, since: float) -> list[RowMapping]:
        """Agent step attempts that timed out at ``since`` or later and have no late result
        yet (their jobs may still answer: see ``record_late``)."""
        query = (
            sa.select(ps)
            .where(
                ps.c.status == "timeout",
                ps.c.late.is_(False),
                ps.c.jobs != "[]",
                ps.c.ended_at >= since,
            )
            .order_by(ps.c.run_id, ps.c.seq)
        )
        with db.read(self._engine) as conn:
            return list(conn.execute(query).mappings())

    def active_on(self, incident_id: str) -> int:
        """How many runs still run on the incident."""
        with db.read(self._engine) as conn:
            query = sa.select(sa.func.count()).where(
                pr.c.incident_id == incident_id, pr.c.status.in_(ACTIVE_RUN)
            )
            return int(conn.execute(query).scalar() or 0)

    # --- changing ------------------------------------------------------------------------
    def add_step(self, run_id: str, values: Mapping[str, Any], log: str | None, now: float) -> int:
        """A new attempt row for the run; its seq. ``log``: a timeline line with it."""
        with db.write(self._engine) as conn:
            last = conn.execute(sa.select(sa.func.max(ps.c.seq)).where(ps.c.run_id == run_id))
            seq = (last.scalar() or 0) + 1
            conn.execute(ps.insert().values(run_id=run_id, seq=seq, late=False, **values))
            self._touch(conn, run_id, {}, log, now)
            return seq

    def update_step(
        self, run_id: str, seq: int, values: Mapping[str, Any], log: str | None, now: float
    ) -> bool:
        """End a live attempt (queued, waiting, running); False if it had ended already (an
        approval decided while the engine saw its deadline pass: the decision stands)."""
        with db.write(self._engine) as conn:
            done = conn.execute(
                ps.update()
                .where(ps.c.run_id == run_id, ps.c.seq == seq, ps.c.status.in_(LIVE_STEP))
                .values(**values)
            )
            if done.rowcount != 1:
                return False
            self._touch(conn, run_id, {}, log, now)
            return True

    def record_late(
        self, run_id: str, seq: int, values: Mapping[str, Any], log: str | None, now: float
    ) -> bool:
        """Keep a result that came after its step timed out, on that attempt (``late``); the
        attempt's status stays as it ended: a late result never re-opens a step. False if it
        was recorded already."""
        with db.write(self._engine) as conn:
            done = conn.execute(
                ps.update()
                .where(
                    ps.c.run_id == run_id,
                    ps.c.seq == seq,
                    ps.c.status == "timeout",
                    ps.c.late.is_(False),
                )
                .values(late=True, **values)
            )
            if done.rowcount != 1:
                return False
            self._touch(conn, run_id, {}, log, now)
            return True

    def update_run(
        self, run_id: str, values: Mapping[str, Any], log: str | None, now: float
    ) -> None:
        with db.write(self._engine) as conn:
            self._touch(conn, run_id, values, log, now)

    def _touch(
        self, conn: Connection, run_id: str, values: Mapping[str, Any], log: str | None, now: float
    ) -> None:
        conn.execute(pr.update().where(pr.c.id == run_id).values(updated_at=now, **values))
        if log is not None:
            incident = conn.execute(sa.select(pr.c.incident_id).where(pr.c.id == run_id)).scalar()
            log_incident(conn, incident, log, now)

    def decide(
        self, run_id: str, seq: int, *, approved: bool, actor: str, reason: str, now: float
    ) -> bool:
        """Record an approval's decision; False if the step no longer waits for one."""
        verb = "approved" if approved else "rejected"
        with db.write(self._engine) as conn:
            done = conn.execute(
                ps.update()
                .where(ps.c.run_id == run_id, ps.c.seq == seq, ps.c.status == "waiting")
                .values(
                    status="ok" if approved else "failed",
                    ended_at=now,
                    output=_dumps({"approved": approved, "by": actor, "at": now, "reason": reason}),
                    error=None if approved else f"rejected by {actor}: {reason}",
                )
            )
            if done.rowcount != 1:
                return False
            step = conn.execute(
                sa.select(ps.c.step_id).where(ps.c.run_id == run_id, ps.c.seq == seq)
            ).scalar()
            text = f"{run_id} step {step} {verb} by {actor}" + (f": {reason}" if reason else "")
            self._touch(conn, run_id, {}, text, now)
            audit.record(conn, actor, f"playbook.{verb[:-1]}", f"{run_id}/{step}", reason, now=now)
            return True

    def finish_incident(self, incident_id: str, now: float) -> bool:
        """Resolve the incident by itself if all its alerts have resolved and no run is
        active on it any more (the intake held that back while runs ran)."""
        with db.write(self._engine) as conn:
            work = load(conn, incident_id)
            if work.status not in lifecycle.ACTIVE:
                return False
            busy = conn.execute(
                sa.select(sa.func.count()).where(
                    pr.c.incident_id == incident_id, pr.c.status.in_(ACTIVE_RUN)
                )
            ).scalar()
            firing = conn.execute(
                sa.select(sa.func.count()).where(
                    ia.c.incident_id == incident_id, ia.c.status == "firing"
                )
            ).scalar()
            if busy or firing or not self._has_alerts(conn, incident_id):
                return False
            ended = conn.execute(
                sa.select(sa.func.max(ia.c.ends_ns)).where(ia.c.incident_id == incident_id)
            ).scalar()
            work.status = "resolved"
            work.resolved_at = ended / 1e9 if ended is not None else now
            work.resolved_by = AUTO
            text = "resolved by itself: all its alerts have resolved and its playbooks ended"
            work.log(now, "status-changed", AUTO, text)
            work.flush(conn, now)
            audit.record(conn, AUTO, "incident.resolve", incident_id, text, now=now)
            return True

    @staticmethod
    def _has_alerts(conn: Connection, incident_id: str) -> bool:
        query = sa.select(sa.func.count()).where(ia.c.incident_id == incident_id)
        return bool(conn.execute(query).scalar())


def busy_incidents(conn: Connection, ids: list[str]) -> set[str]:
    """Of ``ids``, the incidents a playbook run is active on (the intake does not resolve
    them by itself; the engine does once the runs end)."""
    if not ids:
        return set()
    query = sa.select(pr.c.incident_id).where(
        pr.c.incident_id.in_(ids), pr.c.status.in_(ACTIVE_RUN)
    )
    return {i for i in conn.execute(query).scalars() if i is not None}


def prune_runs(conn: Connection, incident_ids: list[str]) -> None:
    """Delete the runs of incidents being pruned, with their steps (retention)."""
    runs = sa.select(pr.c.id).where(pr.c.incident_id.in_(incident_ids))
    conn.execute(ps.delete().where(ps.c.run_id.in_(runs)))
    conn.execute(pr.delete().where(pr.c.incident_id.in_(incident_ids)))
