"""``Store``: the collector's durable state behind one synchronous, thread-safe facade.

Each method is one transaction on its own pooled connection, so the API may call them from a
thread pool. Times are Unix seconds the caller passes in (``now``), so tests own the clock.
Every change an admin may ask about (tokens, enrolment, revocation, jobs, restore) writes its
audit entry in the same transaction; agents' telemetry (heartbeats, results, job leases) is
recorded in its own tables, not the audit log.
"""

from typing import Any, BinaryIO

from sqlalchemy.engine import Engine

from netwarden.collector.store import agents as agent_ops
from netwarden.collector.store import audit as audit_ops
from netwarden.collector.store import backup, enrolment, migrate, users
from netwarden.collector.store import config_revisions as config_ops
from netwarden.collector.store import engine as db
from netwarden.collector.store import events as event_ops
from netwarden.collector.store import jobs as job_ops
from netwarden.collector.store import results as result_ops
from netwarden.collector.store.errors import StoreError
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


class Store:
    """The collector's state; build it with ``open_store(url)``."""

    def __init__(self, engine: Engine, *, job_lease: float = job_ops.JOB_LEASE) -> None:
        self._engine = engine
        self.job_lease = job_lease
        self.url = engine.url.render_as_string(hide_password=True)
        self.backend = engine.dialect.name  # "sqlite" or "postgresql"

    @property
    def engine(self) -> Engine:
        """The engine, for stores of other records on the same database (the incidents')."""
        return self._engine

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def ping(self) -> None:
        """Raise ``StoreError`` unless the database answers (the API's readiness check)."""
        with db.read(self._engine) as conn:
            conn.exec_driver_sql("SELECT 1")

    # --- enrolment -------------------------------------------------------------------------
    def create_join_token(
        self, agent_id: str, site: str, ttl: float, actor: str, now: float
    ) -> str:
        """A one-time join token for ``agent_id`` valid ``ttl`` s; returns its secret part only."""
        with db.write(self._engine) as conn:
            return enrolment.create_join_token(conn, agent_id, site, ttl, actor, now=now)

    def redeem_join_token(self, secret: str, hostname: str, version: str, now: float) -> Enrolment:
        """Exchange a join token for a new agent credential (``nwa.<agent>.<random>``).

        Raises ``TokenError`` for an unknown, used or expired token. Redeeming makes the agent
        enrolled and not revoked, and replaces any earlier credential (so a fresh token is how a
        revoked agent comes back; the audit entry says so). A token created at or before the
        agent's revocation is refused: revoking also kills the agent's outstanding tokens.
        """
        with db.write(self._engine) as conn:
            return enrolment.redeem_join_token(conn, secret, hostname, version, now)

    # --- agents ----------------------------------------------------------------------------
    def authenticate_agent(self, credential: str) -> AgentRow | None:
        """The agent owning ``credential``; None if malformed, unknown, wrong or revoked.

        To tell "revoked" apart for the 401 message, look the id up with ``agent()``.
        """
        with db.read(self._engine) as conn:
            return agent_ops.authenticate(conn, credential)

    def agent(self, agent_id: str) -> AgentRow | None:
        """One agent, or None."""
        with db.read(self._engine) as conn:
            return agent_ops.get(conn, agent_id)

    def agents(self) -> list[AgentRow]:
        """Every agent (enrolled, pending and revoked), by id."""
        with db.read(self._engine) as conn:
            return agent_ops.all_agents(conn)

    def revoke_agent(self, agent_id: str, actor: str, now: float) -> None:
        """Revoke an agent's credential. Raises ``UnknownAgentError`` (a ``StoreError``)."""
        with db.write(self._engine) as conn:
            agent_ops.revoke(conn, agent_id, actor, now)

    def record_heartbeat(self, agent_id: str, heartbeat: Heartbeat, received_at: float) -> None:
        """Record a heartbeat (``last_seen`` = ``received_at``, offset = sent_at - received_at)."""
        with db.write(self._engine) as conn:
            agent_ops.heartbeat(conn, agent_id, heartbeat, received_at)

    # --- users -----------------------------------------------------------------------------
    def create_user_token(self, name: str, role: Role, actor: str, now: float) -> str:
        """A new token ``nwu.<name>.<random>`` with ``role``; earlier tokens stay valid."""
        with db.write(self._engine) as conn:
            return users.create_token(conn, name, role, actor, now)

    def authenticate_user(self, token: str) -> UserRow | None:
        """The user and role of a valid token, else None."""
        with db.read(self._engine) as conn:
            return users.authenticate(conn, token)

    def revoke_user_tokens(self, name: str, actor: str, now: float) -> int:
        """Revoke all of a user's tokens; returns how many were live. Unknown user → StoreError."""
        with db.write(self._engine) as conn:
            return users.revoke_tokens(conn, name, actor, now)

    # --- jobs ------------------------------------------------------------------------------
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
        """Queue a job for an agent; returns its uuid. Unknown agent → ``UnknownAgentError``.

        ``expires_at``: not handed out after it; ``lease``: re-delivery after this long
        without a result (default ``job_lease``)."""
        with db.write(self._engine) as conn:
            return job_ops.create(
                conn, agent_id, kind, params, actor, now=now, expires_at=expires_at, lease=lease
            )

    def take_jobs(self, agent_id: str, now: float, limit: int = 20) -> list[Job]:
        """Deliver due jobs, oldest first; each is leased ``job_lease`` s, then re-delivered."""
        with db.write(self._engine) as conn:
            return job_ops.take(conn, agent_id, now, limit, self.job_lease)

    def jobs_version(self, agent_id: str) -> int:
        """A counter that changes whenever a job is created for the agent (long-poll wake-up)."""
        with db.read(self._engine) as conn:
            return job_ops.version(conn, agent_id)

    def has_jobs(self, agent_id: str, now: float) -> bool:
        """Whether ``take_jobs`` would deliver anything now (new jobs or expired leases)."""
        with db.read(self._engine) as conn:
            return job_ops.has_due(conn, agent_id, now, self.job_lease)

    def job(self, job_id: str) -> Job | None:
        """One job, or None."""
        with db.read(self._engine) as conn:
            return job_ops.get(conn, job_id)

    def expire_job(self, job_id: str, now: float) -> bool:
        """Mark a pending job ``expired`` (never handed out again); False if it was taken."""
        with db.write(self._engine) as conn:
            return job_ops.expire(conn, job_id, now)

    # --- results ---------------------------------------------------------------------------
    def job_result(self, agent_id: str, result_id: str) -> dict[str, Any] | None:
        """The payload of one of the agent's results (a job's answer), or None."""
        with db.read(self._engine) as conn:
            return result_ops.payload(conn, agent_id, result_id)

    def add_results(
        self, agent_id: str, results: list[ResultIn], received_at: float
    ) -> tuple[int, int]:
        """Store a batch; returns (accepted, duplicates). A ``job-result`` closes its job."""
        with db.write(self._engine) as conn:
            return result_ops.add(conn, agent_id, results, received_at)

    def results(
        self, agent_id: str, since: float, limit: int, after_seq: int = 0
    ) -> list[ResultRow]:
        """The agent's results numbered after ``after_seq`` and received at or after
        ``since``, oldest first, at most ``limit``."""
        with db.read(self._engine) as conn:
            return result_ops.since(conn, agent_id, since, limit, after_seq)

    # --- configuration history -------------------------------------------------------------
    def config_devices(self) -> list[ConfigDeviceRow]:
        """Every device whose configurations agents sent, with the newest revision."""
        with db.read(self._engine) as conn:
            return config_ops.devices(conn)

    def config_history(self, device: str, limit: int) -> list[ConfigRevisionRow]:
        """A device's revisions, newest first (without their configurations)."""
        with db.read(self._engine) as conn:
            return config_ops.history(conn, device, limit)

    def config_revision(
        self, device: str, ref: str | None
    ) -> tuple[ConfigRevisionRow | None, ConfigRevisionRow | None]:
        """Revision ``ref`` of ``device`` (a commit id or unique prefix; None: the newest) and
        the one before it, both with their configurations, read in one snapshot."""
        with db.read(self._engine) as conn:
            found = config_ops.get(conn, device, ref)
            return found, (config_ops.before(conn, found) if found is not None else None)

    # --- audit -----------------------------------------------------------------------------
    # --- events (traps, syslog) --------------------------------------------------------------
    def events(self, query: event_ops.EventQuery) -> tuple[list[dict[str, Any]], int]:
        """Events matching ``query``, and the last event seq stored (the long poll's cursor)."""
        with db.read(self._engine) as conn:
            return event_ops.search(conn, query), event_ops.last_seq(conn)

    def prune_events(self, before: float) -> int:
        """Delete events older than ``before`` (the retention bound); returns how many."""
        with db.write(self._engine) as conn:
            return event_ops.prune(conn, before)

    def audit(self, actor: str, action: str, target: str, detail: str, now: float) -> None:
        """Write an audit entry for a change made outside the store (e.g. a CA generated)."""
        with db.write(self._engine) as conn:
            audit_ops.record(conn, actor, action, target, detail, now=now)

    def audit_entries(self, limit: int) -> list[AuditEntry]:
        """The newest ``limit`` audit entries, newest first."""
        with db.read(self._engine) as conn:
            return audit_ops.entries(conn, limit)

    # --- backup ----------------------------------------------------------------------------
    def dump(self, out: BinaryIO) -> None:
        """Write a consistent snapshot of every table to ``out`` (gzip'd JSON lines)."""
        backup.dump(self._engine, out)

    def restore(
        self, inp: BinaryIO, *, replace: bool, actor: str = "restore", now: float | None = None
    ) -> None:
        """Load a dump; refuses a store holding any agent, token or job unless ``replace``."""
        backup.restore(self._engine, inp, replace=replace, actor=actor, now=now)


def open_store(url: str, *, job_lease: float = job_ops.JOB_LEASE) -> Store:
    """Open (and migrate to head) the store at ``url``: ``sqlite:///PATH`` or ``postgresql://...``."""
    engine = db.create(db.parse_url(url))
    try:
        migrate.upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, job_lease=job_lease)


def open_existing_store(url: str) -> Store:
    """Open the store at ``url`` as it is: nothing created, nothing migrated.

    ``StoreError`` (one line) when there is no collector store there (a SQLite file that does
    not exist, a database without the schema) or it is at another schema revision than this
    netwarden's. ``collector backup`` uses it: a backup of the wrong place must fail, not
    create an empty store and back that up.
    """
    path = db.sqlite_path(url)
    if path is not None and not path.is_file():
        raise StoreError(f"no collector store at {path}")
    engine = db.create(db.parse_url(url))
    try:
        where = str(path) if path is not None else engine.url.render_as_string(hide_password=True)
        with db.read(engine) as conn:
            revision = migrate.current(conn)
        if revision is None:
            raise StoreError(f"{where} holds no collector store (no schema)")
        if revision != migrate.head():
            raise StoreError(
                f"the store at {where} is at schema revision {revision}, this netwarden at "
                f"{migrate.head()}: use the netwarden version the collector runs"
            )
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)
