"""Playbook routes: the library, starting a run by hand (or a dry run), runs, approvals.

- ``GET /api/v1/playbooks`` (viewer): the playbooks this collector runs.
- ``POST /api/v1/playbook-runs`` (responder): ``{"playbook", "incident" | "device" | "alert",
  "inputs", "dry_run"}`` → the run (or the dry run's rendered steps; nothing is stored).
- ``GET /api/v1/playbook-runs[?incident=INC&limit=N]`` (viewer), ``GET
  /api/v1/playbook-runs/{run}`` (viewer): runs, and one run with every step attempt.
- ``POST /api/v1/playbook-runs/{run}/steps/{step}/approve`` and ``.../reject``
  (``{"reason"}``): by a user holding the role the approval step names (responder or admin).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import actor, user_caller
from netwarden.collector.api.body import read_model
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.incident_models import Id, Reason, _Body
from netwarden.collector.api.params import int_param
from netwarden.collector.api.playbook_state import PlaybookServices
from netwarden.collector.api.state import app_state
from netwarden.collector.store.playbook_store import RunRefused
from netwarden.playbooks.model import STEP_ID_PATTERN
from netwarden.playbooks.templates import TemplateError

RUN_ID = re.compile(r"^RUN-\d{8}-\d{3,9}$")
INCIDENT = r"^INC-\d{8}-\d{3,9}$"


class RunIn(_Body):
    playbook: Id
    incident: Annotated[str, StringConstraints(pattern=INCIDENT)] | None = None
    device: Id | None = None
    alert: dict[str, Any] | None = None  # an Alertmanager alert: {labels, annotations}
    inputs: dict[str, Any] = Field(default_factory=dict)
    dry_run: bool = False


class RejectIn(_Body):
    reason: Reason


class ApproveIn(_Body):
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


def playbooks_of(request: Request) -> PlaybookServices:
    found = app_state(request).playbooks
    if found is None:
        raise ApiError(404, "this collector runs no playbooks")
    return found


def _run_id(request: Request) -> str:
    value = str(request.path_params["run"])
    if not RUN_ID.match(value):
        raise ApiError(404, f"no run {value[:40]!r} (ids look like RUN-20261123-001)")
    return value


async def list_playbooks(request: Request) -> Response:
    await user_caller(request, "viewer")
    found = playbooks_of(request).library.all()
    rows = [
        {"id": p.playbook.id, "title": p.playbook.title, "file": p.file, "sha256": p.sha256}
        for p in found
    ]
    return JSONResponse({"playbooks": rows})


def _trigger(body: RunIn, request: Request) -> dict[str, Any]:
    """labels, alert and incident of a run started by hand."""
    given = [x for x in (body.incident, body.device, body.alert) if x is not None]
    if len(given) != 1:
        raise ApiError(400, "give exactly one of incident, device or alert")
    if body.device is not None:
        return {"labels": {"device": body.device}, "alert": None, "incident": None}
    if body.alert is not None:
        labels = body.alert.get("labels")
        if not isinstance(labels, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise ApiError(400, "alert.labels must be a mapping of strings")
        annotations = body.alert.get("annotations") or {}
        alert = {"labels": labels, "annotations": annotations, "status": "firing"}
        return {"labels": labels, "alert": alert, "incident": None}
    state = app_state(request)
    if state.incidents is None:
        raise ApiError(404, "this collector keeps no incident record")
    detail = state.incidents.store.incident(str(body.incident)).as_json()
    alerts = detail.get("alerts") or []
    first = next((a for a in alerts if a.get("status") == "firing"), alerts[0] if alerts else None)
    labels = dict(first["labels"]) if first else {}
    keep = ("id", "key", "title", "status", "severity", "opened_at")
    incident = {k: detail[k] for k in keep if k in detail}
    return {"labels": labels, "alert": first, "incident": incident}


async def start_run(request: Request) -> Response:
    """Start a run by hand (responder), or render it (``dry_run``)."""
    books = playbooks_of(request)
    user = await user_caller(request, "responder")
    body = await read_model(request, RunIn)
    loaded = books.library.get(body.playbook)
    if loaded is None:
        raise ApiError(404, f"no playbook {body.playbook!r}")
    state = app_state(request)
    trigger = await state.call(_trigger, body, request)
    inventory = state.inventory.inventory
    now = state.clock()
    try:
        if body.dry_run:
            steps = await state.call(
                lambda: books.dry_run(loaded, inventory, inputs=body.inputs, **trigger)
            )
            return JSONResponse({"playbook": loaded.playbook.id, "dry_run": True, "steps": steps})
        run_id = await state.call(
            lambda: books.start(
                loaded, inventory, inputs=body.inputs, started_by=actor(user), now=now, **trigger
            )
        )
    except RunRefused as exc:
        raise ApiError(409, str(exc)) from None
    except TemplateError as exc:
        raise ApiError(400, str(exc)) from None
    books.wake.set()
    return JSONResponse(await state.call(books.runs.run, run_id))


async def list_runs(request: Request) -> Response:
    books = playbooks_of(request)
    await user_caller(request, "viewer")
    incident = request.query_params.get("incident")
    if incident is not None and not re.match(INCIDENT, incident):
        raise ApiError(400, f"incident must be an incident id, got {incident[:40]!r}")
    limit = int_param(request, "limit", default=200, low=1, high=1000)
    runs = await app_state(request).call(books.runs.runs, incident, limit)
    return JSONResponse({"runs": runs})


async def show_run(request: Request) -> Response:
    books = playbooks_of(request)
    await user_caller(request, "viewer")
    run_id = _run_id(request)
    found = await app_state(request).call(books.runs.run, run_id)
    if found is None:
        raise ApiError(404, f"no run {run_id}")
    return JSONResponse(found)


async def _decide(request: Request, approved: bool) -> Response:
    books = playbooks_of(request)
    state = app_state(request)
    run_id = _run_id(request)
    step_id = str(request.path_params["step"])
    if not re.match(STEP_ID_PATTERN, step_id):
        raise ApiError(404, f"no step {step_id[:40]!r}")
    # The role comes from the step: look first, then ask the caller for that role.
    await user_caller(request, "responder")
    waiting = await state.call(books.engine.waiting_approval, run_id, step_id)
    if waiting is None:
        raise ApiError(409, f"step {step_id} of {run_id} is not waiting for an approval")
    row, role = waiting
    user = await user_caller(request, role)  # type: ignore[arg-type]  # responder|admin
    if approved:
        reason = (await read_model(request, ApproveIn)).note
    else:
        reason = (await read_model(request, RejectIn)).reason
    now = state.clock()
    who = actor(user)
    done = await state.call(
        lambda: books.runs.decide(
            run_id, row["seq"], approved=approved, actor=who, reason=reason, now=now
        )
    )
    if not done:
        raise ApiError(409, f"step {step_id} of {run_id} is not waiting for an approval")
    await state.call(books.runs.update_run, run_id, {"status": "running"}, None, now)
    books.wake.set()
    return JSONResponse(await state.call(books.runs.run, run_id))


async def approve(request: Request) -> Response:
    return await _decide(request, True)


async def reject(request: Request) -> Response:
    return await _decide(request, False)


_RUN = "/api/v1/playbook-runs/{run}"
ROUTES = [
    Route("/api/v1/playbooks", list_playbooks, methods=["GET"]),
    Route("/api/v1/playbook-runs", start_run, methods=["POST"]),
    Route("/api/v1/playbook-runs", list_runs, methods=["GET"]),
    Route(_RUN, show_run, methods=["GET"]),
    Route(f"{_RUN}/steps/{{step}}/approve", approve, methods=["POST"]),
    Route(f"{_RUN}/steps/{{step}}/reject", reject, methods=["POST"]),
]
