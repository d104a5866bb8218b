"""netwarden's side of the SNMP benchmark, in its own process so that its CPU and RSS are read
from /proc exactly like snmp_exporter's: ``python -m bench.snmp_netwarden``.

It reads one JSON request per line on stdin and answers one JSON line on stdout:

* ``{"op": "hello"}`` -> which netwarden pieces exist (the client, the device poller);
* ``{"op": "poll", "devices": [...], "roots": [...], "concurrency": N, "poller": bool,
  "timeout": s}`` -> polls every device once and says how many varbinds came back;
* ``{"op": "quit"}`` (or end of input) -> exits.

Sessions (and pollers) live across ``poll`` requests, one per device, as in the agent: the v3
engine discovery and the poller's label cache happen in the warm-up, not in every repetition.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from netwarden.agent.snmp.types import (
    Credentials,
    Oid,
    SnmpError,
    SnmpSession,
    Target,
    V2cCredentials,
    V3Credentials,
    VarBind,
    parse_oid,
)
from netwarden.agent.snmp.walk import Column

MAX_REQUESTS = 100_000  # bound on the request loop; the benchmark sends a few dozen
# module:attribute of the session class; the variable lets one benchmark another client
# implementation against the same harness (e.g. a previous version of the client).
SESSION_ENV = "NETWARDEN_BENCH_SESSION"
DEFAULT_SESSION = ("netwarden.agent.snmp.client", "UdpSnmpSession")


def session_spec() -> tuple[str, str]:
    """(module, attribute) of the session class the worker uses."""
    spec = os.environ.get(SESSION_ENV)
    if not spec:
        return DEFAULT_SESSION
    module, _, attr = spec.partition(":")
    return module, attr


class CountingSession:
    """Wraps a session and counts the varbinds it returns (so every tool's work can be
    compared in the same unit), without touching what the poller does with them."""

    def __init__(self, inner: SnmpSession) -> None:
        self.inner = inner
        self.varbinds = 0

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        got = await self.inner.get(oids)
        self.varbinds += len(got)
        return got

    async def bulk_walk(self, roots: Sequence[Oid]) -> Mapping[Oid, list[VarBind]]:
        walked = await self.inner.bulk_walk(roots)
        self.varbinds += sum(len(v) for v in walked.values())
        return walked

    async def walk_columns(self, roots: Sequence[Oid]) -> Mapping[Oid, Column]:
        walked = await self.inner.walk_columns(roots)
        self.varbinds += sum(len(v) for v in walked.values())
        return walked

    async def close(self) -> None:
        await self.inner.close()


def _credentials(raw: Mapping[str, Any]) -> Credentials:
    if "community" in raw:
        return V2cCredentials(raw["community"].encode())
    return V3Credentials(
        user=raw["user"],
        auth_protocol=raw["auth_protocol"],
        auth_password=raw["auth_password"].encode(),
        priv_protocol=raw["priv_protocol"],
        priv_password=raw["priv_password"].encode(),
    )


def _target(raw: Mapping[str, Any], max_repetitions: int) -> Target:
    return Target(
        host=raw["host"],
        timeout=float(raw["timeout"]),
        retries=int(raw["retries"]),
        credentials=_credentials(raw["creds"]),
        max_repetitions=max_repetitions,
    )


def _available(module: str, name: str) -> str:
    """ "" when ``module.name`` imports, else why not (the pieces are being written now)."""
    try:
        getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


class Worker:
    """The sessions and pollers of every device polled so far, by host."""

    def __init__(self) -> None:
        self.sessions: dict[str, CountingSession] = {}
        self.pollers: dict[str, Any] = {}
        self.latest: dict[str, Any] = {}  # the last snapshot per device, kept as the agent does

    def session(self, raw: Mapping[str, Any], max_repetitions: int) -> CountingSession:
        host = raw["host"]
        if host not in self.sessions:
            module, attr = session_spec()
            session_class = getattr(importlib.import_module(module), attr)
            inner = session_class(_target(raw, max_repetitions))
            self.sessions[host] = CountingSession(inner)
        return self.sessions[host]

    async def walk_one(self, raw: Mapping[str, Any], req: Mapping[str, Any]) -> bool:
        """The session's own bulk_walk of the roots: the client alone, no poller."""
        session = self.session(raw, int(req["max_repetitions"]))
        walked = await session.bulk_walk([parse_oid(r) for r in req["roots"]])
        # Not kept: the agent keeps snapshots, never raw walks, so holding 500 of them here
        # would only measure the benchmark's memory, not the client's.
        return all(walked.get(parse_oid(r)) for r in req["roots"])

    async def poll_one(self, raw: Mapping[str, Any], req: Mapping[str, Any]) -> bool:
        """One poll by the agent's DevicePoller (what the agent does every interval)."""
        host = raw["host"]
        if host not in self.pollers:
            poller_mod = importlib.import_module("netwarden.agent.polling.poller")
            snapshot_mod = importlib.import_module("netwarden.agent.polling.snapshot")
            info = snapshot_mod.DeviceInfo(device=raw["name"], site="bench", role="switch")
            session = self.session(raw, int(req["max_repetitions"]))
            self.pollers[host] = poller_mod.DevicePoller(info, session)
        snapshot = await self.pollers[host].poll(timeout=float(req["timeout"]))
        self.latest[host] = snapshot
        return bool(snapshot.up and snapshot.interfaces and not snapshot.errors)

    async def poll(self, req: Mapping[str, Any]) -> dict[str, Any]:
        """Every device once, ``concurrency`` at a time; each bounded by ``timeout``."""
        slots = asyncio.Semaphore(int(req["concurrency"]))
        one = self.poll_one if req["poller"] else self.walk_one
        errors: list[str] = []
        # The poller cuts its own poll at ``timeout``; this only catches one that does not.
        hard_limit = float(req["timeout"]) * 1.5 + 1.0

        async def bounded(raw: Mapping[str, Any]) -> bool:
            async with slots:
                try:
                    return await asyncio.wait_for(one(raw, req), hard_limit)
                except (SnmpError, TimeoutError) as exc:
                    errors.append(f"{raw['host']}: {type(exc).__name__}: {exc}")
                    return False

        before = sum(s.varbinds for s in self.sessions.values())
        start = time.perf_counter()
        oks = await asyncio.gather(*(bounded(d) for d in req["devices"]))
        wall = time.perf_counter() - start
        after = sum(s.varbinds for s in self.sessions.values())
        return {
            "ok": True,
            "wall": wall,
            "polled": len(oks),
            "failed": oks.count(False),
            "varbinds": after - before,
            "errors": errors[:3],
        }


def _hello() -> dict[str, Any]:
    return {
        "ok": True,
        "client": _available(*session_spec()),
        "session": ":".join(session_spec()),
        "poller": _available("netwarden.agent.polling.poller", "DevicePoller"),
    }


def _reply(message: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Serve requests until ``quit`` or end of input."""
    worker = Worker()
    loop = asyncio.new_event_loop()  # one loop for the process: sessions are bound to it
    try:
        for _ in range(MAX_REQUESTS):
            line = sys.stdin.readline()
            if not line:
                break
            req = json.loads(line)
            if req["op"] == "quit":
                break
            if req["op"] == "hello":
                _reply(_hello())
                continue
            try:
                _reply(loop.run_until_complete(worker.poll(req)))
            except Exception as exc:  # report, don't die: the table says what went wrong
                _reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        for session in worker.sessions.values():
            loop.run_until_complete(session.close())
    finally:
        loop.close()


if __name__ == "__main__":
    main()
