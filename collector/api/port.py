"""What the API needs from the store: the methods of ``netwarden.collector.store.Store``.

A ``Protocol`` so that unit tests can hand the app an in-memory fake, while mypy checks that
the real store (passed in by ``serve``) still fits.
"""

from __future__ import annotations

from typing import Any, Protocol

from netwarden.collector.store.events import EventQuery
from netwarden.collector.store.rows import (
    AgentRow,
    AuditEntry,
    ConfigDeviceRow,
    ConfigRevisionRow,
    Enrolment,
    Heartbeat,
    Job,
    ResultIn,
    ResultRow,
    Role,
    UserRow,
)


class StoreApi(Protocol):
    """The store's synchronous, thread-safe methods the HTTP API calls (from a thread pool)."""

    def create_join_token(
        self, agent_id: str, site: str, ttl: float, actor: str, now: float
    ) -> str: ...
    def redeem_join_token(
        self, secret: str, hostname: str, version: str, now: float
    ) -> Enrolment: ...
    def authenticate_agent(self, credential: str) -> AgentRow | None: ...
    def agent(self, agent_id: str) -> AgentRow | None: ...
    def agents(self) -> list[AgentRow]: ...
    def revoke_agent(self, agent_id: str, actor: str, now: float) -> None: ...
    def record_heartbeat(self, agent_id: str, heartbeat: Heartbeat, received_at: float) -> None: ...
    def create_user_token(self, name: str, role: Role, actor: str, now: float) -> str: ...
    def authenticate_user(self, token: str) -> UserRow | None: ...
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
    def take_jobs(self, agent_id: str, now: float, limit: int = 20) -> list[Job]: ...
    def add_results(
        self, agent_id: str, results: list[ResultIn], received_at: float
    ) -> tuple[int, int]: ...
    def results(
        self, agent_id: str, since: float, limit: int, after_seq: int = 0
    ) -> list[ResultRow]: ...
    def config_devices(self) -> list[ConfigDeviceRow]: ...
    def config_history(self, device: str, limit: int) -> list[ConfigRevisionRow]: ...
    def config_revision(
        self, device: str, ref: str | None
    ) -> tuple[ConfigRevisionRow | None, ConfigRevisionRow | None]: ...
    def audit_entries(self, limit: int) -> list[AuditEntry]: ...
    def events(self, query: EventQuery) -> tuple[list[dict[str, Any]], int]: ...
    def prune_events(self, before: float) -> int: ...
    def ping(self) -> None: ...
