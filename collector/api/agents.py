"""Agent routes: CA, enrolment, heartbeat, assignment (ETag), jobs (long-poll), results."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.advertise import refusal
from netwarden.collector.api.auth import agent_caller
from netwarden.collector.api.body import parse_json, read_body, read_model, validate
from netwarden.collector.api.config_payload import decode_revision
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.events import EVENTS_SIGNAL
from netwarden.collector.api.longpoll import wait_for
from netwarden.collector.api.models import EnrollIn, HeartbeatIn, ResultsIn
from netwarden.collector.api.params import number_param
from netwarden.collector.api.state import app_state
from netwarden.collector.store.errors import TokenError
from netwarden.collector.store.rows import Heartbeat, Job, ResultIn
from netwarden.join_token import join_secret

MAX_WAIT = 60.0  # the contract's bound on a jobs long-poll
JOBS_PER_ANSWER = 20
# Results per POST. The cap keeps one request's transaction (and the results route's pages,
# which answer at most 1,000) in proportion; the agent sends at most 500 (agent/sync/uploader.py).
MAX_BATCH = 1000


async def ca(request: Request) -> Response:
    """The collector CA in PEM, fetched by an enrolling agent before it trusts anything."""
    pem = app_state(request).ca_pem
    if pem is None:
        raise ApiError(404, "this collector serves plain HTTP (--insecure): it has no CA")
    return JSONResponse({"ca_pem": pem})


async def enroll(request: Request) -> Response:
    """Exchange a one-time join token for the agent's credential (shown this once)."""
    state = app_state(request)
    body = await read_model(request, EnrollIn)
    try:
        enrolment = await state.call(
            state.store.redeem_join_token,
            join_secret(body.token),
            body.hostname,
            body.version,
            state.clock(),
        )
    except TokenError as exc:
        raise ApiError(401, str(exc)) from None
    state.agent_auth.forget(enrolment.agent_id)  # a replaced box's old credential is now void
    return JSONResponse(
        {"agent": enrolment.agent_id, "credential": enrolment.credential, "site": enrolment.site}
    )


async def heartbeat(request: Request) -> Response:
    """Record the agent's state; answer the collector's time, the current assignment ETag and
    why its advertised address was refused, if it was (advertise.py)."""
    agent_id = request.path_params["agent_id"]
    await agent_caller(request, agent_id)
    state = app_state(request)
    body = await read_model(request, HeartbeatIn)
    received = state.clock()
    error = _advertise_error(request, agent_id, body.advertise)
    recorded = Heartbeat(**body.model_dump())
    if error is not None:
        recorded = dataclasses.replace(recorded, advertise=None)  # never published by SD
    await state.call(state.store.record_heartbeat, agent_id, recorded, received)
    current = state.inventory.assignment(agent_id)
    return JSONResponse(
        {
            "server_time": received,
            "assignment_etag": current.etag if current else None,
            "advertise_error": error,
        }
    )


def _advertise_error(request: Request, agent_id: str, advertise: str | None) -> str | None:
    state = app_state(request)
    if advertise is None:
        error = None
    else:
        listed = state.inventory.agent(agent_id)
        source = request.client.host if request.client else None
        error = refusal(agent_id, advertise, source, listed.advertise if listed else None)
    state.advertise.note(agent_id, advertise, error)
    return error


def _etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    if header.strip() == "*":
        return True
    # Weak or strong, one or several: an assignment is the same bytes either way.
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return etag in tags


async def assignment(request: Request) -> Response:
    """The agent's slice of the inventory, or 304 when its ``If-None-Match`` is current."""
    agent_id = request.path_params["agent_id"]
    await agent_caller(request, agent_id)
    current = app_state(request).inventory.assignment(agent_id)
    if current is None:
        raise ApiError(404, f"agent {agent_id} is not in the collector's inventory")
    headers = {"ETag": f'"{current.etag}"'}
    if _etag_matches(request.headers.get("if-none-match"), current.etag):
        return Response(status_code=304, headers=headers)
    return Response(current.body, media_type="application/json", headers=headers)


def _job(job: Job) -> dict[str, object]:
    return {
        "id": job.id,
        "kind": job.kind,
        "params": job.params,
        "created_at": job.created_at,
        "expires_at": job.expires_at,
    }


async def take_jobs(request: Request) -> Response:
    """Jobs for the agent, waiting up to ``wait`` seconds (≤ 60) for one to be created.

    A job created while the request waits is handed out only while the agent is still heard
    from (its last heartbeat, or this request's arrival, within ``stale_after``): a request
    held open since before the agent's line was cut cannot carry its answer back, and a job
    put into it would sit leased to an agent that never saw it. Such a job stays pending for
    the agent's next request, which it makes once the line is back. Nor is one handed to a
    request whose agent has hung up (an agent restarting drops its long poll, and its new
    process asks again at once): the answer would go nowhere, and the job would sit leased
    to that dead request until its lease passed."""
    agent_id = request.path_params["agent_id"]
    await agent_caller(request, agent_id)
    wait = number_param(request, "wait", default=0.0, low=0.0, high=MAX_WAIT)
    state = app_state(request)
    loop = asyncio.get_running_loop()
    deadline, arrived = loop.time() + wait, state.clock()
    jobs: list[Job] = []
    # Bounded: each round either returns or waits for a wake-up or the deadline.
    for round_ in range(1000):
        event = state.signals.event(agent_id)  # before the query: see longpoll.py
        if round_ > 0 and await request.is_disconnected():
            break
        if round_ == 0 or await _heard_from(request, agent_id, arrived):
            jobs = await state.call(state.store.take_jobs, agent_id, state.clock(), JOBS_PER_ANSWER)
        if jobs or state.signals.closing:
            break
        if not await wait_for(event, deadline - loop.time()):
            break
    return JSONResponse({"jobs": [_job(j) for j in jobs]})


async def _heard_from(request: Request, agent_id: str, arrived: float) -> bool:
    """Whether the agent was heard from within ``stale_after`` (a heartbeat or ``arrived``)."""
    state = app_state(request)
    row = await state.call(state.store.agent, agent_id)
    seen = max(arrived, row.last_seen or arrived) if row is not None else arrived
    return state.clock() - seen <= state.stale_after


async def post_results(request: Request) -> Response:
    """Store a batch of results; ids already stored count as duplicates, not errors."""
    agent_id = request.path_params["agent_id"]
    await agent_caller(request, agent_id)
    state = app_state(request)
    data = parse_json(await read_body(request))
    posted = data.get("results")
    if isinstance(posted, list) and len(posted) > MAX_BATCH:
        raise ApiError(
            413,
            f"a results batch holds at most {MAX_BATCH} results, this one {len(posted)}: "
            "send smaller batches",
        )
    body = validate(ResultsIn, data)
    fields = [r.model_dump() for r in body.results]
    if any(f["kind"] == "config-revision" for f in fields):
        # Inflating configurations takes milliseconds each: off the event loop.
        batch = await state.call(_results_in, fields)
    else:
        batch = _results_in(fields)
    accepted, duplicates = await state.call(state.store.add_results, agent_id, batch, state.clock())
    if accepted and any(r.kind == "device-event" for r in batch):
        state.signals.notify(EVENTS_SIGNAL)  # wake the followers of GET /api/v1/events
    if state.playbooks is not None and any(r.kind == "job-result" for r in batch):
        state.playbooks.wake.set()  # a step may wait for this answer
    return JSONResponse({"accepted": accepted, "duplicates": duplicates})


def _results_in(batch: list[dict[str, Any]]) -> list[ResultIn]:
    """The store's results; a configuration revision is decoded and checked (422 if bad)."""
    found = []
    for fields in batch:
        if fields["kind"] == "config-revision":
            revision, kept = decode_revision(fields["id"], fields["payload"])
            found.append(ResultIn(**{**fields, "payload": kept}, revision=revision))
        else:
            found.append(ResultIn(**fields))
    return found


ROUTES = [
    Route("/api/v1/ca", ca, methods=["GET"]),
    Route("/api/v1/enroll", enroll, methods=["POST"]),
    Route("/api/v1/agents/{agent_id}/heartbeat", heartbeat, methods=["POST"]),
    Route("/api/v1/agents/{agent_id}/assignment", assignment, methods=["GET"]),
    Route("/api/v1/agents/{agent_id}/jobs", take_jobs, methods=["GET"]),
    Route("/api/v1/agents/{agent_id}/results", post_results, methods=["POST"]),
]
"""Agent routes (GET jobs and POST results share their paths with user routes)."""
