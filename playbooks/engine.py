"""The engine: moves every active run on, one step at a time, from the durable store.

A run is a pointer (``step``) into its playbook's steps and a row per step attempt. Each pass
(``advance``) looks at the current step's last attempt and either starts one (renders the
templates, picks the agent, queues the job), waits (a job not answered yet, an approval), or
takes the outcome (next step, retry, ``on_failure``). All state is in the store, so a collector
killed at any moment carries on where it was when started again: a queued job is still in the
jobs table (and the agent answers a repeat from its record); a collector action that was in
flight (``running``) cannot be known and is marked ``interrupted`` with the reason.

Every method blocks; the collector calls ``tick`` from a worker thread, one at a time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import RowMapping

from netwarden.agent.actions.catalogue import CATALOGUE, ActionError, validate
from netwarden.collector.store.playbook_store import NewRun, PlaybookStore
from netwarden.collector.store.rows import Job
from netwarden.errors import NetwardenError
from netwarden.inventory.model import Inventory
from netwarden.playbooks.collector_actions import ActionFailed, CollectorActions, Outcome
from netwarden.playbooks.loader import Loaded
from netwarden.playbooks.model import DEFAULT_QUEUE_TIMEOUT, Playbook, Step
from netwarden.playbooks.placement import PlacementError, parse, resolve
from netwarden.playbooks.templates import TemplateError, condition, render_text, render_value

log = logging.getLogger("netwarden.playbooks")

DEFAULT_STEP_TIMEOUT = 300.0  # an agent step's time to answer once its agent took the job
LEASE_MARGIN = 60.0  # the step times out this long after its timeout (the result's trip back)
# A step's job is leased for its timeout and twice the margin. A hand-out again moves the job's
# delivered_at, from which the step's timeout counts: were the lease to end when the step
# times out (timeout + margin, as before), an agent's long-poll coming between then and the
# engine's next pass would take the job again and push the timeout back by a whole lease, and
# a result that should be late would end the step as ok (the lab's late-result test, 1 of 2
# runs alone). The second margin lets the engine time the step out first.
STEP_LEASE_MARGIN = 2 * LEASE_MARGIN
MAX_MOVES = 50  # steps one pass may move a run through (bounded: at most 100 steps)
LATE_WINDOW = 8 * 86400.0  # the agent keeps its job record a week: a result may come that late
MAX_ITEMS = 200  # jobs one for_each step may queue (a camera group, a hotspot's APs)
WAITING = ("dispatched", "waiting", "running")
DONE_OK = ("ok", "skipped")


class JobPort(Protocol):
    """The jobs side of the collector's store."""

    def create_job(
        self,
        agent_id: str,
        kind: str,
        params: dict[str, Any],
        actor: str,
        now: float,
        *,
        expires_at: float | None = None,
        lease: float | None = None,
    ) -> str: ...
    def job(self, job_id: str) -> Job | None: ...
    def job_result(self, agent_id: str, result_id: str) -> dict[str, Any] | None: ...
    def expire_job(self, job_id: str, now: float) -> bool: ...


class EvidencePort(Protocol):
    """Keeps a step's output as evidence of the incident; returns the evidence id."""

    def __call__(
        self, incident_id: str, *, name: str, data: bytes, source: str, step: str, now: float
    ) -> int: ...


class StepFailed(NetwardenError):
    """A step that cannot start (template, ``from``, args): the step fails with this line."""


@dataclass(frozen=True)
class Attempt:
    """The outcome of an attempt that ended, as the engine writes it to the row."""

    status: str
    output: Any = None
    text: str | None = None
    error: str | None = None


def _loads(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


class Engine:
    """Starts runs and moves them on."""

    def __init__(
        self,
        runs: PlaybookStore,
        jobs: JobPort,
        inventory: Callable[[], Inventory],
        *,
        evidence: EvidencePort | None = None,
        actions: CollectorActions | None = None,
    ) -> None:
        self.runs, self.jobs, self.inventory = runs, jobs, inventory
        self.evidence = evidence
        self.actions = actions or CollectorActions()
        self._playbooks: dict[str, Playbook] = {}
        self._queued_for: set[str] = set()  # agents with new jobs since the last take

    def take_queued_for(self) -> set[str]:
        """The agents given jobs since the last call (their long-polls are woken)."""
        found, self._queued_for = self._queued_for, set()
        return found

    # --- starting ------------------------------------------------------------------------
    def start(
        self,
        loaded: Loaded,
        *,
        context: dict[str, Any],
        incident_id: str | None,
        trigger: dict[str, Any],
        started_by: str,
        now: float,
        dedupe: str | None = None,
    ) -> str:
        """Store a new run (``RunRefused`` if throttled or locked) and return its id."""
        playbook = loaded.playbook
        labels: Mapping[str, str] = context.get("labels") or {}
        throttle_key, window = _throttle(playbook, labels, incident_id)
        if throttle_key is None and dedupe is not None:
            # Alertmanager re-sends a firing alert: without a throttle, one run per alert.
            throttle_key, window = dedupe, 10 * 365 * 86400.0
        new = NewRun(
            playbook_id=playbook.id,
            title=playbook.title,
            sha256=loaded.sha256,
            definition=loaded.definition(),
            incident_id=incident_id,
            trigger=trigger,
            started_by=started_by,
            context=context,
            lock_key=_lock_key(playbook, labels, incident_id),
            throttle_key=throttle_key,
            throttle_window=window,
        )
        return self.runs.create_run(new, now)

    def dry_run(
        self, playbook: Playbook, start: dict[str, Any], labels: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Each step rendered from the start's context as far as it can be before the run
        (a template reading an earlier step's output cannot), and the agent for it."""
        context = start | {"steps": {}, "run": {"id": "dry-run", "playbook": playbook.id}}
        context |= {"item": None, "now": 0.0}
        found = []
        for step in playbook.steps:
            entry: dict[str, Any] = {"step": step.id, "action": step.action, "when": step.when}
            try:
                calls = [(item, _args(step, context, item)) for item in _items(step, context)]
                agents = [self._dry_agent(step, context | {"item": i}, a, labels) for i, a in calls]
                if step.for_each is None:
                    entry["args"], entry["agent"] = calls[0][1], agents[0]
                else:  # one job per item: every item's args, the agents that would run them
                    entry["args"] = [args for _, args in calls]
                    entry["agent"] = ", ".join(dict.fromkeys(agents)) or "(no items)"
            except (TemplateError, PlacementError, StepFailed) as exc:
                entry["error"] = str(exc)
            found.append(entry)
        return found

    def _dry_agent(
        self, step: Step, context: dict[str, Any], args: dict[str, Any], labels: Mapping[str, str]
    ) -> str:
        if CATALOGUE[step.action].runs_on == "collector":
            return "collector"
        placement = parse(render_text(step.from_, context)) if step.from_ else None
        return resolve(placement, self.inventory(), args, labels)

    # --- recovery --------------------------------------------------------------------------
    def recover(self, now: float) -> int:
        """After a restart: collector actions that were in flight cannot be known."""
        count = 0
        for run_id in self.runs.active_ids():
            for row in self.runs.steps(run_id):
                if row["status"] == "running":
                    reason = (
                        "interrupted: the collector stopped while this step ran; whether "
                        f"{row['action']} completed is unknown"
                    )
                    values = {"status": "interrupted", "ended_at": now, "error": reason}
                    text = f"{run_id} step {row['step_id']} {reason}"
                    self.runs.update_step(run_id, row["seq"], values, text, now)
                    count += 1
        return count

    # --- moving on -------------------------------------------------------------------------
    def tick(self, now: float) -> int:
        """One pass over every active run; how many moved."""
        moved = 0
        for run_id in self.runs.active_ids():
            try:
                moved += self.advance(run_id, now)
            except Exception:  # one broken run must not stop the others
                log.exception("playbook run %s: the engine failed on it", run_id)
                self._end(run_id, "failed", "the engine failed on this run (see its log)", now)
        try:
            moved += self.late_results(now)
        except Exception:  # a late result must not stop the runs moving on
            log.exception("playbook engine: keeping late results failed")
        return moved

    def late_results(self, now: float) -> int:
        """Keep the results that came after their step timed out (the agent was slow, or
        its answer waited in its disk queue for the link): on the attempt, marked late, with
        its evidence, without re-opening the step; how many were kept."""
        kept = 0
        for row in self.runs.timed_out(now - LATE_WINDOW):
            answers = [self._late_answer(entry) for entry in json.loads(row["jobs"])]
            if not answers or any(a is None for a in answers):
                continue
            kept += self._record_late(row, [a for a in answers if a is not None], now)
        return kept

    def _late_answer(self, entry: dict[str, Any]) -> Attempt | None:
        job = self.jobs.job(entry["job"])
        if job is None or job.state != "done" or job.result_id is None:
            return None
        return _from_payload(self.jobs.job_result(entry["agent"], job.result_id) or {})

    def _record_late(self, row: RowMapping, answers: list[Attempt], now: float) -> int:
        run_id, step_id = row["run_id"], row["step_id"]
        run = self.runs.run_row(run_id)
        if run is None:
            return 0
        step = self._playbook(run).step(step_id)
        attempt = _combine(answers, each=step.for_each is not None)
        outcome = "ok" if attempt.status == "ok" else f"{attempt.status}: {attempt.error}"
        error = f"{row['error']}; a late result came afterwards ({outcome})"
        values: dict[str, Any] = {
            "output": json.dumps(attempt.output) if attempt.output is not None else None,
            "text": attempt.text,
            "error": error,
        }
        agent = row["agent_id"]
        line = f"{run_id} step {step_id} ({row['action']}) late result on {agent} ({outcome})"
        line += (
            f", kept on the step that had timed out {now - (row['ended_at'] or now):.0f} s before"
        )
        if step.evidence and run["incident_id"] is not None and self.evidence is not None:
            late = Attempt("late", attempt.output, attempt.text, error)
            name, data = _evidence_file(run_id, step, late, None)
            values["evidence"] = self.evidence(
                run["incident_id"],
                name=name.removesuffix(".txt") + "-late.txt",
                data=data,
                source=f"agent:{agent}",
                step=f"{run_id}/{step_id}",
                now=now,
            )
        return int(self.runs.record_late(run_id, row["seq"], values, line, now))

    def _playbook(self, row: RowMapping) -> Playbook:
        key = f"{row['playbook_id']}@{row['sha256']}"
        found = self._playbooks.get(key)
        if found is None:
            found = Playbook.model_validate(json.loads(row["definition"]))
            self._playbooks[key] = found
        return found

    def advance(self, run_id: str, now: float) -> int:
        """Move one run on as far as it goes now; how many steps it moved."""
        moves = 0
        for _ in range(MAX_MOVES):
            row = self.runs.run_row(run_id)
            if row is None or row["status"] not in ("running", "waiting"):
                return moves
            playbook = self._playbook(row)
            index = row["step"]
            if index >= len(playbook.steps):
                self._end(run_id, "succeeded", None, now)
                return moves + 1
            step = playbook.steps[index]
            attempts = [r for r in self.runs.steps(run_id) if r["step_id"] == step.id]
            nxt = self._next(row, playbook, step, attempts, now)
            if nxt is None:
                return moves
            moves += 1
            if isinstance(nxt, str):
                self._end(run_id, "failed", nxt, now)
                return moves
            self.runs.update_run(run_id, {"step": nxt, "status": "running"}, None, now)
        return moves

    def _next(
        self,
        run: RowMapping,
        playbook: Playbook,
        step: Step,
        attempts: list[RowMapping],
        now: float,
    ) -> int | str | None:
        """The step index to go on at, a reason to end the run as failed, or None (wait)."""
        last = attempts[-1] if attempts else None
        if last is None:
            self._begin(run, playbook, step, 1, now)
            return None
        if last["status"] in WAITING:
            self._poll(run, step, last, now)
            return None
        if last["status"] in DONE_OK:
            return playbook.index(step.id) + 1
        retry = step.retry
        if retry is not None and last["status"] != "interrupted" and len(attempts) <= retry.count:
            if now >= (last["ended_at"] or now) + retry.delay:
                self._begin(run, playbook, step, len(attempts) + 1, now)
            return None
        return _after_failure(playbook, step, last)

    # --- one attempt ------------------------------------------------------------------------
    def context(self, run: RowMapping, now: float) -> dict[str, Any]:
        """The template context now: the start's, the steps so far, the run, the time."""
        found: dict[str, Any] = json.loads(run["context"])
        steps: dict[str, Any] = {}
        for row in self.runs.steps(run["id"]):
            steps[row["step_id"]] = {
                "status": row["status"],
                "ok": row["status"] == "ok",
                "skipped": row["status"] == "skipped",
                "output": _loads(row["output"]),
                "text": row["text"],
                "error": row["error"],
                "agent": row["agent_id"],
                "attempt": row["attempt"],
                "late": bool(row["late"]),
            }
        found["steps"] = steps
        found["run"] = {"id": run["id"], "playbook": run["playbook_id"]}
        found["now"] = now
        found.setdefault("item", None)
        return found

    def _begin(
        self, run: RowMapping, playbook: Playbook, step: Step, attempt: int, now: float
    ) -> None:
        run_id = run["id"]
        base = {"step_id": step.id, "attempt": attempt, "action": step.action, "jobs": "[]"}
        base |= {"created_at": now, "started_at": now}
        context = self.context(run, now)
        try:
            if step.when is not None and not condition(step.when, context):
                values = base | {"status": "skipped", "ended_at": now}
                self.runs.add_step(run_id, values, f"{run_id} step {step.id} skipped", now)
                return
            # Each item renders its own args (they read ``item``), each checked on its own.
            calls = [(item, _args(step, context, item)) for item in _items(step, context)]
            spec = CATALOGUE[step.action]
            params = [validate(step.action, args) for _, args in calls]
        except (TemplateError, ActionError, StepFailed) as exc:
            self._fail_at_start(run_id, step, base, str(exc), now)
            return
        if not calls:
            values = base | {"status": "ok", "ended_at": now, "output": "[]"}
            text = f"{run_id} step {step.id} ok: for_each gave no items"
            self.runs.add_step(run_id, values, text, now)
            return
        first = params[0]
        if spec.runs_on == "collector" and first is not None:
            # The collector acts on the validated params (durations in seconds, defaults).
            values = first.model_dump(mode="json")
            self._collector_step(run, step, base | {"args": json.dumps(values)}, values, now)
            return
        try:
            self._dispatch(run, step, base, calls=calls, context=context, now=now)
        except (TemplateError, PlacementError, StepFailed) as exc:
            self._fail_at_start(run_id, step, base, str(exc), now)

    def _fail_at_start(
        self, run_id: str, step: Step, base: dict[str, Any], error: str, now: float
    ) -> None:
        values = base | {"status": "failed", "ended_at": now, "error": error}
        self.runs.add_step(run_id, values, f"{run_id} step {step.id} failed: {error}", now)

    def _agent(self, run: RowMapping, step: Step, args: dict[str, Any], context: Any) -> str:
        placement = None
        if step.from_ is not None:
            placement = parse(render_text(step.from_, context))
        labels: dict[str, str] = json.loads(run["context"]).get("labels") or {}
        return resolve(placement, self.inventory(), args, labels)

    def _dispatch(
        self,
        run: RowMapping,
        step: Step,
        base: dict[str, Any],
        *,
        calls: list[tuple[Any, dict[str, Any]]],
        context: dict[str, Any],
        now: float,
    ) -> None:
        run_id = run["id"]
        timeout = step.timeout or DEFAULT_STEP_TIMEOUT
        queue = step.queue_timeout or DEFAULT_QUEUE_TIMEOUT
        # Every placement first: a step whose item has no agent queues no job at all.
        placed = [
            (self._agent(run, step, args, context | {"item": item}), item, args)
            for item, args in calls
        ]
        jobs = []
        for agent, item, params in placed:
            job = self.jobs.create_job(
                agent,
                step.action,
                params,
                f"playbook {run_id}",
                now,
                expires_at=now + queue,
                lease=timeout + STEP_LEASE_MARGIN,
            )
            jobs.append({"job": job, "agent": agent, "item": item})
            self._queued_for.add(agent)
        agents = sorted({agent for agent, _, _ in placed})
        shown = calls[0][1] if step.for_each is None else [args for _, args in calls]
        values = base | {
            "status": "dispatched",
            "agent_id": placed[0][0],
            "args": json.dumps(shown),
            "jobs": json.dumps(jobs),
            "timeout": timeout,
            "deadline": now + queue,
        }
        text = f"{run_id} step {step.id} ({step.action}) queued for {', '.join(agents)}"
        if step.for_each is not None:
            text += f" ({len(jobs)} items)"
        self.runs.add_step(run_id, values, text, now)

    def _collector_step(
        self,
        run: RowMapping,
        step: Step,
        base: dict[str, Any],
        args: dict[str, Any],
        now: float,
    ) -> None:
        run_id = run["id"]
        if step.action == "approval":
            timeout = float(args.get("timeout", 3600.0))
            role = args.get("role", "responder")
            values = base | {"status": "waiting", "deadline": now + timeout, "timeout": timeout}
            note = f": {args['message']}" if args.get("message") else ""
            text = f"{run_id} step {step.id} waits for approval by a {role}{note}"
            self.runs.add_step(run_id, values, text, now)
            self.runs.update_run(run_id, {"status": "waiting"}, None, now)
            return
        # Marked running before it runs: killed in the middle, it is known as interrupted.
        running = base | {"status": "running", "agent_id": "collector"}
        seq = self.runs.add_step(run_id, running, None, now)
        try:
            if step.action == "notify":
                outcome = self.actions.notify(args, run_id)
            elif step.action == "events":
                outcome = self.actions.events(args, now)
            else:
                outcome = self.actions.report(args, run["incident_id"], now)
        except (ActionFailed, NetwardenError) as exc:
            attempt = Attempt("failed", error=str(exc))
            self._end_step(run, step, seq, attempt, now=now, agent="collector")
            return
        attempt = Attempt("ok", outcome.output, outcome.text)
        self._end_step(run, step, seq, attempt, now=now, agent="collector", outcome=outcome)

    # --- waiting --------------------------------------------------------------------------
    def _poll(self, run: RowMapping, step: Step, row: RowMapping, now: float) -> None:
        if row["status"] == "waiting":
            if row["deadline"] is not None and now >= row["deadline"]:
                error = f"no decision within {row['timeout']:g} s"
                attempt = Attempt("timeout", error=error)
                self._end_step(run, step, row["seq"], attempt, now=now, agent=None)
                self.runs.update_run(run["id"], {"status": "running"}, None, now)
            return
        if row["status"] != "dispatched":
            return
        answers = [self._answer(j, row, now) for j in json.loads(row["jobs"])]
        if any(a is None for a in answers):
            return
        done = [a for a in answers if a is not None]
        combined = _combine(done, each=step.for_each is not None)
        self._end_step(run, step, row["seq"], combined, now=now, agent=row["agent_id"])

    def _answer(self, entry: dict[str, Any], row: RowMapping, now: float) -> Attempt | None:
        """A job's outcome, or None while it may still come."""
        job = self.jobs.job(entry["job"])
        agent = entry["agent"]
        if job is None:
            return Attempt("interrupted", error=f"job {entry['job']} is gone from the store")
        if job.state == "done" and job.result_id is not None:
            return _from_payload(self.jobs.job_result(agent, job.result_id) or {})
        if job.state == "expired" or (
            job.state == "pending" and job.expires_at is not None and now >= job.expires_at
        ):
            self.jobs.expire_job(job.id, now)
            error = f"agent {agent} did not take the job before it expired"
            return Attempt("expired", error=error)
        timeout = row["timeout"] or DEFAULT_STEP_TIMEOUT
        taken = job.delivered_at
        if job.state == "delivered" and taken is not None and now > taken + timeout + LEASE_MARGIN:
            error = f"agent {agent} took the job but gave no result within {timeout:g} s"
            return Attempt("timeout", error=error)
        return None

    # --- ending -----------------------------------------------------------------------------
    def _end_step(
        self,
        run: RowMapping,
        step: Step,
        seq: int,
        attempt: Attempt,
        *,
        now: float,
        agent: str | None,
        outcome: Outcome | None = None,
    ) -> None:
        run_id = run["id"]
        values: dict[str, Any] = {
            "status": attempt.status,
            "ended_at": now,
            "output": json.dumps(attempt.output) if attempt.output is not None else None,
            "text": attempt.text,
            "error": attempt.error,
        }
        where = f" on {agent}" if agent else ""
        line = f"{run_id} step {step.id} ({step.action}) {attempt.status}{where}"
        if attempt.error:
            line += f": {attempt.error}"
        if step.evidence and run["incident_id"] is not None and self.evidence is not None:
            name, data = _evidence_file(run_id, step, attempt, outcome)
            source = f"agent:{agent}" if agent and agent != "collector" else "collector"
            values["evidence"] = self.evidence(
                run["incident_id"],
                name=name,
                data=data,
                source=source,
                step=f"{run_id}/{step.id}",
                now=now,
            )
        self.runs.update_step(run_id, seq, values, line, now)

    def _end(self, run_id: str, status: str, reason: str | None, now: float) -> None:
        row = self.runs.run_row(run_id)
        if row is None:
            return
        lines = self._conclusions(row, now) if status == "succeeded" else []
        text = f"{run_id} ({row['playbook_id']}) {status}" + (f": {reason}" if reason else "")
        for line in lines:
            text += f"; {line}"
        conclusions = json.dumps(lines, ensure_ascii=False)
        values = {"status": status, "ended_at": now, "reason": reason, "conclusions": conclusions}
        self.runs.update_run(run_id, values, text, now)
        if row["incident_id"] is not None:
            self.runs.finish_incident(row["incident_id"], now)

    def _conclusions(self, row: RowMapping, now: float) -> list[str]:
        playbook = self._playbook(row)
        context = self.context(row, now)
        lines = []
        for conclusion in playbook.conclusions:
            try:
                if condition(conclusion.when, context):
                    lines.append(render_text(conclusion.text, context).strip())
            except TemplateError as exc:
                lines.append(f"conclusion not evaluated: {exc}")
        return lines

    # --- approvals ---------------------------------------------------------------------------
    def waiting_approval(self, run_id: str, step_id: str) -> tuple[RowMapping, str] | None:
        """The row of ``step_id`` if it waits for a decision, with the role it needs."""
        for row in reversed(self.runs.steps(run_id)):
            if row["step_id"] == step_id and row["status"] == "waiting":
                args = _loads(row["args"]) or {}
                return row, str(args.get("role", "responder"))
        return None


def _from_payload(payload: dict[str, Any]) -> Attempt:
    """A job-result payload as an attempt's outcome."""
    ok = bool(payload.get("ok"))
    error = None if ok else str(payload.get("error") or "failed without a reason")
    return Attempt("ok" if ok else "failed", payload.get("output"), payload.get("text"), error)


def _items(step: Step, context: dict[str, Any]) -> list[Any]:
    """The items of a ``for_each`` step (a list), or one ``None`` for a plain step."""
    if step.for_each is None:
        return [None]
    value = render_value("{{ " + step.for_each + " }}", context)
    if not isinstance(value, list):
        raise StepFailed(f"for_each must give a list, not {type(value).__name__}")
    if len(value) > MAX_ITEMS:
        raise StepFailed(f"for_each gave {len(value)} items, at most {MAX_ITEMS} are run")
    return value


def _args(step: Step, context: dict[str, Any], item: Any) -> dict[str, Any]:
    args = render_value(step.args, context if item is None else context | {"item": item})
    if not isinstance(args, dict):
        raise StepFailed("args do not render to a mapping")
    return args


def _after_failure(playbook: Playbook, step: Step, last: RowMapping) -> int | str:
    """Where a step that failed for good sends the run: a step index, or why it ends."""
    if step.goto is not None:
        return playbook.index(step.goto)
    if step.on_failure == "continue":
        return playbook.index(step.id) + 1
    return f"step {step.id} {last['status']}: {last['error'] or 'no reason given'}"


def _combine(answers: list[Attempt], *, each: bool) -> Attempt:
    """One attempt from its jobs' answers; a ``for_each`` step's output is the list of its
    items' outputs (in item order), even for one item."""
    if not each and len(answers) == 1:
        return answers[0]
    failed = [a for a in answers if a.status != "ok"]
    text = "\n".join(a.text or a.error or "" for a in answers)
    outputs = [a.output for a in answers]
    if failed:
        return Attempt(failed[0].status, outputs, text, failed[0].error)
    return Attempt("ok", outputs, text)


def _evidence_file(
    run_id: str, step: Step, attempt: Attempt, outcome: Outcome | None
) -> tuple[str, bytes]:
    if outcome is not None and outcome.evidence is not None:
        return outcome.evidence
    body = {"status": attempt.status, "error": attempt.error, "output": attempt.output}
    text = attempt.text or ""
    data = (text + "\n\n" if text else "") + json.dumps(body, indent=2, ensure_ascii=False)
    return f"{run_id}-{step.id}.txt", data.encode()


def _label_key(names: list[str], labels: Mapping[str, str], incident: str | None) -> str:
    parts = []
    for name in names:
        value = incident if name == "incident" and "incident" not in labels else labels.get(name)
        parts.append(f"{name}={value or ''}")
    return ",".join(parts)


def _throttle(
    playbook: Playbook, labels: Mapping[str, str], incident: str | None
) -> tuple[str | None, float | None]:
    if playbook.throttle is None:
        return None, None
    return _label_key(playbook.throttle.key, labels, incident), playbook.throttle.window


def _lock_key(playbook: Playbook, labels: Mapping[str, str], incident: str | None) -> str | None:
    scope = playbook.lock
    if scope == "none":
        return None
    value = incident if scope == "incident" else labels.get(scope)
    return f"{scope}:{value}" if value else None
