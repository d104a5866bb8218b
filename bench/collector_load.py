"""Simulated agents: every agent's traffic to the collector, from one asyncio process.

Each agent has its own ``httpx.AsyncClient`` (its own connections, as real agents behind NAT
have) sharing one pinned ``ssl.SSLContext`` (loading the CA 1,000 times would only measure
OpenSSL). Per agent, as the real agent does (docs/collector-api.md):

* it comes up at a random point of the first ``ramp`` s (by default one heartbeat period: a
  fleet in steady state, whose agents started at different times; 0 is every agent at once,
  as after a collector restart);
* from then on, a heartbeat every ``heartbeat`` s give or take 10 % (the agent's own jitter,
  agent/sync/pacing.py), then ``GET assignment`` with ``If-None-Match`` (mostly 304; the real
  agent asks only when the heartbeat's answer names a new ETag, or every 5 minutes);
* a batch of ``batch`` results every ``results`` s, the first at a random point of the first
  period after it came up;
* one long-poll ``GET jobs?wait=W`` (W give or take 10 %, as the agent asks) open at all times,
  re-issued as soon as it returns.

Every request's latency is recorded by route; an error is any status other than 2xx/304 or a
transport error. Requests still open when the run ends are cancelled and not counted.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

import httpx

from netwarden.agent.http_transport import AgentTransport
from netwarden.agent.sync.client import KEEPALIVE_EXPIRY
from netwarden.agent.sync.pacing import jittered

VERSION = "bench-0"
ENROLL_CONCURRENCY = 32


@dataclass
class Recorder:
    """Latencies (s) and errors by route; the first few error messages for the report; and
    (when it started, route, latency) of every answered request, to show how latency moves
    through the run (warm-up, the long-polls' waves)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    timeline: list[tuple[float, str, float]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)

    async def timed(
        self, route: str, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response | None:
        """Send one request; None (and an error counted) unless it answered 2xx or 304."""
        start = time.perf_counter()
        try:
            resp = await send()
        except httpx.HTTPError as exc:
            self._error(route, f"{route}: {type(exc).__name__}: {exc}")
            return None
        took = time.perf_counter() - start
        self.latencies[route].append(took)
        self.timeline.append((start, route, took))
        if resp.status_code == 304 or 200 <= resp.status_code < 300:
            return resp
        self._error(route, f"{route}: HTTP {resp.status_code} {resp.text[:120]}")
        return None

    def _error(self, route: str, message: str) -> None:
        self.errors[route] += 1
        if len(self.samples) < 5:
            self.samples.append(message)


@dataclass(frozen=True)
class Pace:
    """The agents' intervals (s) and batch size."""

    heartbeat: float = 15.0
    results: float = 60.0
    batch: int = 10
    wait: int = 30
    ramp: float = 15.0  # s over which the agents come up


class SimAgent:
    """One enrolled agent's traffic."""

    def __init__(self, agent: str, credential: str, client: httpx.AsyncClient) -> None:
        self.agent = agent
        self.client = client
        self.headers = {"Authorization": f"Bearer {credential}"}
        self.base = f"/api/v1/agents/{agent}"
        self.etag: str | None = None
        self.started_at = time.time()
        self.sent = 0

    async def heartbeats(self, rec: Recorder, pace: Pace, up: float, rng: random.Random) -> None:
        await asyncio.sleep(up)
        while True:
            due = time.monotonic() + jittered(pace.heartbeat, rng)
            await self.heartbeat(rec)
            await self.assignment(rec)
            await asyncio.sleep(max(0.0, due - time.monotonic()))

    async def heartbeat(self, rec: Recorder) -> None:
        body = {
            "sent_at": time.time(),
            "version": VERSION,
            "started_at": self.started_at,
            "devices_assigned": 3,
            "devices_healthy": 3,
            "polls_ok": self.sent,
            "polls_failed": 0,
            "queue_depth": 0,
            "queue_dropped": 0,
            "assignment_etag": self.etag,
            "advertise": None,
        }
        send = partial(self.client.post, f"{self.base}/heartbeat", json=body, headers=self.headers)
        await rec.timed("heartbeat", send)

    async def assignment(self, rec: Recorder) -> None:
        headers = dict(self.headers)
        if self.etag:
            headers["If-None-Match"] = f'"{self.etag}"'
        send = partial(self.client.get, f"{self.base}/assignment", headers=headers)
        resp = await rec.timed("assignment", send)
        if resp is not None and resp.status_code == 200:
            self.etag = resp.headers.get("ETag", "").strip('"') or None

    async def results(self, rec: Recorder, pace: Pace, first: float) -> None:
        await asyncio.sleep(first)
        while True:
            due = time.monotonic() + pace.results
            now = time.time()
            batch = [
                {
                    "id": str(uuid.uuid4()),
                    "kind": "poll-summary",
                    "at": now - n,
                    "job": None,
                    "payload": {
                        "devices": {
                            "sw": {"up": True, "duration": 0.05 + n / 100},
                            "cam": {"up": True},
                            "ap": {"up": n % 3 != 0},
                        }
                    },
                }
                for n in range(pace.batch)
            ]
            self.sent += len(batch)
            send = partial(
                self.client.post,
                f"{self.base}/results",
                json={"results": batch},
                headers=self.headers,
            )
            await rec.timed("results", send)
            await asyncio.sleep(max(0.0, due - time.monotonic()))

    async def jobs(self, rec: Recorder, pace: Pace, up: float, rng: random.Random) -> None:
        await asyncio.sleep(up)
        while True:
            wait = jittered(pace.wait, rng)
            send = partial(
                self.client.get,
                f"{self.base}/jobs?wait={wait:.2f}",
                headers=self.headers,
                timeout=wait + 10,
            )
            resp = await rec.timed("jobs (long-poll)", send)
            if resp is None:
                await asyncio.sleep(1)  # a failed long-poll must not spin


def agent_address(index: int) -> str:
    """The loopback address agent ``index`` connects from: its own, as every real agent has
    (the collector limits connections per source address; 1,000 agents from 127.0.0.1 would be
    one address holding 3,000)."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


def make_client(
    base_url: str, verify: ssl.SSLContext | bool, local_address: str | None = None
) -> httpx.AsyncClient:
    """One agent's client: its own pool (a heartbeat, a results post and the long-poll), idle
    connections kept as long as the real agent keeps them (agent/sync/client.py), from its
    own source address, on the agent's transport (the run's end cancels requests that may be
    in their TLS handshake: httpx's own would leave those sockets open)."""
    limits = httpx.Limits(
        max_connections=4, max_keepalive_connections=4, keepalive_expiry=KEEPALIVE_EXPIRY
    )
    transport = AgentTransport(verify, limits=limits, trust_env=True, local_address=local_address)
    return httpx.AsyncClient(
        base_url=base_url, transport=transport, timeout=httpx.Timeout(10.0, connect=5.0)
    )


async def enroll_all(
    base_url: str, verify: ssl.SSLContext | bool, tokens: dict[str, str], rec: Recorder
) -> list[SimAgent]:
    """Exchange every join token for a credential over the real API (``ENROLL_CONCURRENCY`` at
    once); each enrolled agent keeps the client it enrolled with."""
    gate = asyncio.Semaphore(ENROLL_CONCURRENCY)

    async def one(index: int, agent: str, token: str) -> SimAgent | None:
        client = make_client(base_url, verify, agent_address(index))
        body = {"token": token, "hostname": f"bench-{agent}", "version": VERSION}
        async with gate:
            resp = await rec.timed(
                "enroll (setup)", partial(client.post, "/api/v1/enroll", json=body)
            )
        if resp is None:
            await client.aclose()
            return None
        return SimAgent(agent, str(resp.json()["credential"]), client)

    done = await asyncio.gather(*(one(n, a, t) for n, (a, t) in enumerate(tokens.items())))
    return [agent for agent in done if agent is not None]


async def run_load(agents: list[SimAgent], pace: Pace, duration: float, rec: Recorder) -> float:
    """Run every agent's loops for ``duration`` s; returns the wall time actually run."""
    rng = random.Random(6)  # noqa: S311 - jitter, not security
    tasks = []
    for agent in agents:
        up = rng.uniform(0, pace.ramp)
        first_results = up + rng.uniform(0, pace.results)
        tasks += [
            asyncio.create_task(agent.heartbeats(rec, pace, up, rng)),
            asyncio.create_task(agent.results(rec, pace, first_results)),
            asyncio.create_task(agent.jobs(rec, pace, up, rng)),
        ]
    start = time.monotonic()
    try:
        await asyncio.sleep(duration)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return time.monotonic() - start


async def close_all(agents: list[SimAgent]) -> None:
    await asyncio.gather(*(a.client.aclose() for a in agents), return_exceptions=True)
