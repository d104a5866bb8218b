"""An in-memory store with the methods of netwarden.collector.store.Store, for API unit tests.

It follows the store's contract (one-time join tokens, hashed credentials, idempotent result
ids, audit entries for every change) closely enough that the API tests also pass against the
real SQLite store (tests run both: see conftest.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import threading
import uuid
from typing import Any, BinaryIO

from netwarden.collector.store.errors import (
    StoreError,
    StoreInputError,
    TokenError,
    UnknownAgentError,
)
from netwarden.collector.store.rows import (
    AgentRow,
    AuditEntry,
    ConfigDeviceRow,
    ConfigRevisionIn,
    ConfigRevisionRow,
    Enrolment,
    Heartbeat,
    Job,
    ResultIn,
    ResultRow,
    Role,
    UserRow,
)

LEASE = 300.0


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class FakeStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._agents: dict[str, AgentRow] = {}
        self._creds: dict[str, str] = {}  # hash -> agent id
        self._joins: dict[str, dict[str, Any]] = {}
        self._users: dict[str, tuple[str, Role, bool]] = {}  # hash -> (name, role, revoked)
        self._jobs: dict[str, Job] = {}
        self._delivered_at: dict[str, float] = {}
        self._jobs_version: dict[str, int] = {}
        self._results: dict[str, dict[str, ResultRow]] = {}
        self._configs: dict[str, list[ConfigRevisionRow]] = {}  # device -> oldest first
        self._audit: list[AuditEntry] = []

    def _log(self, actor: str, action: str, target: str, detail: str, now: float) -> None:
        self._audit.append(AuditEntry(now, actor, action, target, detail))

    def create_join_token(
        self, agent_id: str, site: str, ttl: float, actor: str, now: float
    ) -> str:
        with self._lock:
            secret = secrets.token_urlsafe(24)
            self._joins[_hash(secret)] = {
                "agent": agent_id,
                "site": site,
                "exp": now + ttl,
                "used": False,
            }
            if agent_id not in self._agents:
                self._agents[agent_id] = AgentRow(agent_id, site, None, False, *([None] * 13))
            self._log(actor, "join-token.create", agent_id, f"site {site}", now)
            return secret

    def redeem_join_token(self, secret: str, hostname: str, version: str, now: float) -> Enrolment:
        with self._lock:
            join = self._joins.get(_hash(secret))
            if join is None:
                raise TokenError("unknown join token")
            if join["used"]:
                raise TokenError("join token already used")
            if now > join["exp"]:
                raise TokenError("join token expired")
            join["used"] = True
            agent_id = join["agent"]
            credential = f"nwa.{agent_id}.{secrets.token_urlsafe(24)}"
            self._creds = {h: a for h, a in self._creds.items() if a != agent_id}
            self._creds[_hash(credential)] = agent_id
            row = self._agents[agent_id]
            self._agents[agent_id] = dataclasses.replace(
                row,
                site=join["site"],
                enrolled_at=now,
                revoked=False,
                hostname=hostname,
                version=version,
            )
            self._log(f"agent:{agent_id}", "agent.enrol", agent_id, hostname, now)
            return Enrolment(agent_id, join["site"], credential)

    def authenticate_agent(self, credential: str) -> AgentRow | None:
        with self._lock:
            agent_id = self._creds.get(_hash(credential))
            row = self._agents.get(agent_id) if agent_id else None
            return None if row is None or row.revoked else row

    def agent(self, agent_id: str) -> AgentRow | None:
        with self._lock:
            return self._agents.get(agent_id)

    def agents(self) -> list[AgentRow]:
        with self._lock:
            return sorted(self._agents.values(), key=lambda a: a.id)

    def revoke_agent(self, agent_id: str, actor: str, now: float) -> None:
        with self._lock:
            if agent_id not in self._agents:
                raise UnknownAgentError(f"no agent {agent_id!r}")
            self._agents[agent_id] = dataclasses.replace(self._agents[agent_id], revoked=True)
            self._log(actor, "agent.revoke", agent_id, "", now)

    def record_heartbeat(self, agent_id: str, hb: Heartbeat, received_at: float) -> None:
        with self._lock:
            if agent_id not in self._agents:
                raise UnknownAgentError(f"no agent {agent_id!r}")
            fields = dataclasses.asdict(hb)
            del fields["sent_at"]
            self._agents[agent_id] = dataclasses.replace(
                self._agents[agent_id],
                last_seen=received_at,
                clock_offset=hb.sent_at - received_at,
                **fields,
            )

    def create_user_token(self, name: str, role: Role, actor: str, now: float) -> str:
        with self._lock:
            token = f"nwu.{name}.{secrets.token_urlsafe(24)}"
            self._users[_hash(token)] = (name, role, False)
            self._log(actor, "user-token.create", name, f"role {role}", now)
            return token

    def authenticate_user(self, token: str) -> UserRow | None:
        with self._lock:
            found = self._users.get(_hash(token))
            return None if found is None or found[2] else UserRow(found[0], found[1])

    def revoke_user_tokens(self, name: str, actor: str, now: float) -> None:
        with self._lock:
            for key, (user, role, _) in list(self._users.items()):
                if user == name:
                    self._users[key] = (user, role, True)
            self._log(actor, "user-token.revoke", name, "", now)

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
    ) -> str:
        with self._lock:
            if agent_id not in self._agents:
                raise UnknownAgentError(f"no agent {agent_id!r}")
            job_id = str(uuid.uuid4())
            self._jobs[job_id] = Job(
                job_id,
                agent_id,
                kind,
                params,
                now,
                actor,
                "pending",
                0,
                None,
                expires_at=expires_at,
                lease=lease,
            )
            self._jobs_version[agent_id] = self._jobs_version.get(agent_id, 0) + 1
            self._log(actor, "job.create", agent_id, f"{kind} {job_id}", now)
            return job_id

    def jobs_version(self, agent_id: str) -> int:
        with self._lock:
            return self._jobs_version.get(agent_id, 0)

    def take_jobs(self, agent_id: str, now: float, limit: int = 20) -> list[Job]:
        with self._lock:
            due = [
                j
                for j in self._jobs.values()
                if j.agent_id == agent_id
                and (
                    (j.state == "pending" and (j.expires_at is None or j.expires_at > now))
                    or (
                        j.state == "delivered"
                        and now - self._delivered_at[j.id] >= (j.lease or LEASE)
                    )
                )
            ]
            taken = sorted(due, key=lambda j: j.created_at)[:limit]
            for job in taken:
                self._jobs[job.id] = dataclasses.replace(
                    job, state="delivered", deliveries=job.deliveries + 1
                )
                self._delivered_at[job.id] = now
            return [self._jobs[j.id] for j in taken]

    def add_results(
        self, agent_id: str, results: list[ResultIn], received_at: float
    ) -> tuple[int, int]:
        with self._lock:
            if agent_id not in self._agents:
                raise UnknownAgentError(f"no agent {agent_id!r}")
            mine = self._results.setdefault(agent_id, {})
            accepted = duplicates = 0
            for res in results:
                if res.id in mine:
                    duplicates += 1
                    continue
                mine[res.id] = ResultRow(
                    agent_id,
                    res.id,
                    res.kind,
                    res.at,
                    res.job,
                    res.payload,
                    received_at,
                    len(mine) + 1,
                )
                accepted += 1
                if res.kind == "job-result" and res.job in self._jobs:
                    self._jobs[res.job] = dataclasses.replace(
                        self._jobs[res.job], state="done", done_at=received_at
                    )
                if res.revision is not None:
                    self._keep_config(agent_id, res.revision, received_at)
            return accepted, duplicates

    def _keep_config(self, agent_id: str, rev: ConfigRevisionIn, received_at: float) -> None:
        kept = self._configs.setdefault(rev.device, [])
        if any(r.revision == rev.revision for r in kept) or (
            kept and kept[-1].sha256 == rev.sha256
        ):
            return
        kept.append(ConfigRevisionRow(rev.device, rev.revision, agent_id, rev.site, rev.role,
                                      rev.previous_revision, rev.time, rev.fetched_at,
                                      received_at, rev.sha256, len(rev.config.encode()),
                                      rev.config))  # fmt: skip
        kept.sort(key=lambda r: (r.fetched_at, r.received_at))

    def config_devices(self) -> list[ConfigDeviceRow]:
        with self._lock:
            found = []
            for device, rows in sorted(self._configs.items()):
                last = rows[-1]
                row = ConfigDeviceRow(device, last.site, len(rows), last.revision, last.time,
                                      last.fetched_at, last.agent_id)  # fmt: skip
                found.append(row)
            return found

    def config_history(self, device: str, limit: int) -> list[ConfigRevisionRow]:
        with self._lock:
            rows = list(reversed(self._configs.get(device, [])))[:limit]
            return [dataclasses.replace(r, config=None) for r in rows]

    def config_revision(
        self, device: str, ref: str | None
    ) -> tuple[ConfigRevisionRow | None, ConfigRevisionRow | None]:
        with self._lock:
            rows = self._configs.get(device, [])
            if ref is not None and not re.fullmatch(r"[0-9a-f]{4,64}", ref):
                raise StoreInputError(f"{ref!r} is not a revision (hexadecimal, at least 4)")
            at = [i for i, r in enumerate(rows) if ref is None or r.revision.startswith(ref)]
            if ref is None:
                at = at[-1:]
            if len(at) > 1:
                raise StoreInputError(f"revision {ref!r} of {device} is ambiguous")
            if not at:
                return None, None
            return rows[at[0]], (rows[at[0] - 1] if at[0] > 0 else None)

    def results(
        self, agent_id: str, since: float, limit: int, after_seq: int = 0
    ) -> list[ResultRow]:
        with self._lock:
            rows = [
                r
                for r in self._results.get(agent_id, {}).values()
                if r.received_at >= since and r.seq > after_seq
            ]
            return sorted(rows, key=lambda r: r.seq)[:limit]

    def audit(self, actor: str, action: str, target: str, detail: str, now: float) -> None:
        with self._lock:
            self._log(actor, action, target, detail, now)

    def audit_entries(self, limit: int) -> list[AuditEntry]:
        with self._lock:
            return list(reversed(self._audit))[:limit]

    def events(self, query: Any) -> tuple[list[dict[str, Any]], int]:
        # The events routes are tested on the real store only (test_api_events.py): the fake
        # keeps no events, so its event-retention task has nothing to prune.
        return [], 0

    def prune_events(self, before: float) -> int:
        return 0

    def dump(self, out: BinaryIO) -> None:
        raise StoreError("the fake store does not dump")

    def restore(self, inp: BinaryIO, *, replace: bool) -> None:
        raise StoreError("the fake store does not restore")

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass
