"""A small collector implementing docs/collector-api.md's agent routes, for the agent's tests.

It keeps what a test needs to check: heartbeats as received, assignment answers (200/304),
results in the order first received with duplicates counted (ids make delivery idempotent),
and how many requests each route got. State lives on the object, so it survives a stop and a
start of the server (like the real collector's database). A result whose payload holds
``"poison": true`` makes its whole batch a 400, like a strict collector refusing bad input.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BODY_LIMIT = 1024 * 1024


@dataclass
class AgentRecord:
    site: str
    credential: str | None = None
    revoked: bool = False


@dataclass
class FakeCollector:
    ca_pem: str | None  # None: an insecure (plain HTTP) collector
    ca_sha256: str | None = None
    agents: dict[str, AgentRecord] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # join token -> agent id
    assignments: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    assignment_answers: list[int] = field(default_factory=list)
    pending_jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    duplicates: int = 0
    refused_batches: int = 0
    batch_sizes: list[tuple[int, int]] = field(default_factory=list)  # (results, bytes)
    requests: Counter[str] = field(default_factory=Counter)
    jobs_waits: list[float] = field(default_factory=list)  # each long-poll's ?wait=
    advertise_error: str | None = None  # what the heartbeat answer says of --advertise
    # Long-polls still waiting: one left by a stopped agent would take the next jobs (the real
    # collector's lease hands them out again later; this fake has no lease).
    open_long_polls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what a test sets up --------------------------------------------------------------
    def join_token(self, agent: str, site: str, *, with_hash: bool = True) -> str:
        self.agents.setdefault(agent, AgentRecord(site))
        token = f"nwj.{secrets.token_urlsafe(16)}"
        if with_hash and self.ca_sha256 is not None:
            token += f".{self.ca_sha256}"
        self.tokens[token] = agent
        return token

    def set_assignment(self, agent: str, document: dict[str, Any]) -> str:
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
        etag = hashlib.sha256(canonical.encode()).hexdigest()
        self.assignments[agent] = (document, etag)
        return etag

    def add_job(
        self,
        agent: str,
        kind: str,
        params: dict[str, Any],
        *,
        job_id: str | None = None,
        expires_at: float | None = None,
    ) -> str:
        """Queue a job (``job_id``: deliver a known job again, as a lease that passed does)."""
        job_id = job_id or secrets.token_hex(8)
        job = {"id": job_id, "kind": kind, "params": params, "created_at": time.time()}
        if expires_at is not None:
            job["expires_at"] = expires_at
        with self.lock:
            self.pending_jobs.setdefault(agent, []).append(job)
        return job_id

    def revoke(self, agent: str) -> None:
        self.agents[agent].revoked = True

    def results_of(self, kind: str) -> list[dict[str, Any]]:
        return [self.results[i] for i in self.order if self.results[i]["kind"] == kind]

    # --- the routes ----------------------------------------------------------------------
    def app(self) -> Starlette:
        agent = "/api/v1/agents/{agent}"
        return Starlette(routes=[
            Route("/api/v1/ca", self.ca),
            Route("/api/v1/enroll", self.enroll, methods=["POST"]),
            Route(f"{agent}/heartbeat", self.heartbeat, methods=["POST"]),
            Route(f"{agent}/assignment", self.assignment),
            Route(f"{agent}/jobs", self.jobs),
            Route(f"{agent}/results", self.post_results, methods=["POST"]),
        ])  # fmt: skip

    async def ca(self, request: Request) -> Response:
        if self.ca_pem is None:
            return _error(404, "this collector runs without TLS")
        return JSONResponse({"ca_pem": self.ca_pem})

    async def enroll(self, request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body, dict) or not {"token", "hostname", "version"} <= set(body):
            return _error(400, "enrolment needs token, hostname and version")
        agent = self.tokens.pop(body["token"], None)
        if agent is None:
            return _error(401, "join token unknown, used or expired")
        record = self.agents[agent]
        record.credential, record.revoked = f"nwa.{agent}.{secrets.token_urlsafe(24)}", False
        return JSONResponse({"agent": agent, "credential": record.credential, "site": record.site})

    def _auth(self, request: Request) -> Response | str:
        agent = request.path_params["agent"]
        self.requests[request.url.path.rsplit("/", 1)[-1]] += 1
        record = self.agents.get(agent)
        header = request.headers.get("authorization", "")
        if record is None or record.credential is None or header != f"Bearer {record.credential}":
            return _error(401, "no or bad credential")
        if record.revoked:
            return _error(401, f"agent {agent} is revoked")
        return agent

    async def heartbeat(self, request: Request) -> Response:
        agent = self._auth(request)
        if isinstance(agent, Response):
            return agent
        body = await _json(request)
        if not isinstance(body, dict):
            return _error(400, "heartbeat body must be an object")
        self.heartbeats.append({**body, "received_at": time.time()})
        etag = self.assignments[agent][1] if agent in self.assignments else None
        return JSONResponse({"server_time": time.time(), "assignment_etag": etag,
                             "advertise_error": self.advertise_error})  # fmt: skip

    async def assignment(self, request: Request) -> Response:
        agent = self._auth(request)
        if isinstance(agent, Response):
            return agent
        if agent not in self.assignments:
            self.assignment_answers.append(404)
            return _error(404, f"no assignment for agent {agent} yet")
        document, etag = self.assignments[agent]
        if request.headers.get("if-none-match") == f'"{etag}"':
            self.assignment_answers.append(304)
            return Response(status_code=304, headers={"ETag": f'"{etag}"'})
        self.assignment_answers.append(200)
        return JSONResponse(document, headers={"ETag": f'"{etag}"'})

    async def jobs(self, request: Request) -> Response:
        agent = self._auth(request)
        if isinstance(agent, Response):
            return agent
        wait = float(request.query_params.get("wait", "0"))
        self.jobs_waits.append(wait)
        deadline = time.monotonic() + min(wait, 60.0)
        with self.lock:
            self.open_long_polls += 1
        try:
            while True:
                with self.lock:
                    jobs = self.pending_jobs.pop(agent, [])
                if jobs or time.monotonic() >= deadline:
                    return JSONResponse({"jobs": jobs})
                await asyncio.sleep(0.02)
        finally:
            with self.lock:
                self.open_long_polls -= 1

    async def post_results(self, request: Request) -> Response:
        agent = self._auth(request)
        if isinstance(agent, Response):
            return agent
        raw = await request.body()
        if len(raw) > BODY_LIMIT:
            return _error(413, "body over 1 MiB")
        body = _parse(raw)
        batch = body.get("results") if isinstance(body, dict) else None
        if not isinstance(batch, list) or not all(_is_result(r) for r in batch):
            return _error(400, "results must be a list of Result objects")
        if any(r["payload"].get("poison") for r in batch):
            self.refused_batches += 1
            return _error(400, "a result's payload is malformed")
        self.batch_sizes.append((len(batch), len(raw)))
        accepted = duplicates = 0
        for result in batch:
            if result["id"] in self.results:
                duplicates += 1
                continue
            self.results[result["id"]] = result
            self.order.append(result["id"])
            accepted += 1
        self.duplicates += duplicates
        return JSONResponse({"accepted": accepted, "duplicates": duplicates})


def _is_result(item: object) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("id"), str)
        and item.get("kind")
        in ("event", "poll-summary", "job-result", "config-revision", "device-event")
        and isinstance(item.get("at"), int | float)
        and "job" in item
        and isinstance(item.get("payload"), dict)
    )


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def _json(request: Request) -> Any:
    return _parse(await request.body())


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
