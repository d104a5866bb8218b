"""Plain rows the store hands in and out: no SQLAlchemy types leak past the store."""

from dataclasses import dataclass
from typing import Any, Literal

# "webhook" stands outside the viewer < responder < admin ranking: it may post alerts and
# nothing else (Alertmanager's token).
Role = Literal["admin", "responder", "viewer", "webhook"]
ROLES: tuple[Role, ...] = ("admin", "responder", "viewer", "webhook")

ResultKind = Literal["event", "poll-summary", "job-result", "config-revision", "device-event"]
RESULT_KINDS: tuple[str, ...] = (
    "event",
    "poll-summary",
    "job-result",
    "config-revision",
    "device-event",
)

JobState = Literal["pending", "delivered", "done", "expired"]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """An agent's heartbeat body (docs/collector-api.md), as the API decoded it."""

    sent_at: float
    version: str
    started_at: float
    devices_assigned: int
    devices_healthy: int
    polls_ok: int
    polls_failed: int
    queue_depth: int
    queue_dropped: int
    assignment_etag: str | None
    advertise: str | None
    spool_depth: int | None = None
    spool_oldest_age: float | None = None


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One agent as the collector knows it.

    ``enrolled_at`` is None while enrolment is pending (a join token exists, never redeemed);
    the heartbeat fields are None until the first heartbeat. ``clock_offset`` is the agent's
    ``sent_at`` minus the collector's receive time, in seconds.
    """

    id: str
    site: str
    enrolled_at: float | None
    revoked: bool
    hostname: str | None
    version: str | None
    started_at: float | None
    last_seen: float | None
    clock_offset: float | None
    devices_assigned: int | None
    devices_healthy: int | None
    polls_ok: int | None
    polls_failed: int | None
    queue_depth: int | None
    queue_dropped: int | None
    assignment_etag: str | None
    advertise: str | None
    spool_depth: int | None = None  # push agents only: samples waiting in the push spool
    spool_oldest_age: float | None = None  # and the age of the oldest, in seconds


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What redeeming a join token gives the agent: its id, site and credential (shown once)."""

    agent_id: str
    site: str
    credential: str


@dataclass(frozen=True, slots=True)
class UserRow:
    """The user a token belongs to and the role that token carries."""

    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class Job:
    """A job for one agent. ``deliveries`` counts how often it was handed out (leases);
    ``delivered_at`` is the last time; ``lease`` None means the store's default."""

    id: str
    agent_id: str
    kind: str
    params: dict[str, Any]
    created_at: float
    created_by: str
    state: JobState
    deliveries: int
    done_at: float | None
    delivered_at: float | None = None
    expires_at: float | None = None
    lease: float | None = None
    result_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConfigRevisionIn:
    """A new revision of a device's configuration, as an agent's backup stored it (normalised,
    secrets redacted). ``revision`` is the commit in that agent's store; ``time`` its ISO
    fetch time as the agent wrote it; ``sha256`` of ``config``, checked by the API."""

    device: str
    site: str
    role: str
    revision: str
    previous_revision: str | None
    time: str
    fetched_at: float
    sha256: str
    config: str


@dataclass(frozen=True, slots=True)
class ConfigRevisionRow:
    """A revision the collector keeps; ``config`` is None in listings."""

    device: str
    revision: str
    agent_id: str
    site: str
    role: str
    previous_revision: str | None
    time: str
    fetched_at: float
    received_at: float
    sha256: str
    size: int
    config: str | None


@dataclass(frozen=True, slots=True)
class ConfigDeviceRow:
    """A device the collector holds configurations of: how many, and the newest."""

    device: str
    site: str
    revisions: int
    last_revision: str
    last_time: str
    last_fetched_at: float
    agent_id: str


@dataclass(frozen=True, slots=True)
class ResultIn:
    """A result as an agent posts it; ``id`` is the agent's uuid that makes delivery idempotent.
    A ``config-revision`` result also carries the decoded ``revision`` (its ``payload`` then
    holds the metadata only: the configuration is kept once, in its own table)."""

    id: str
    kind: ResultKind
    at: float
    job: str | None
    payload: dict[str, Any]
    revision: ConfigRevisionIn | None = None


@dataclass(frozen=True, slots=True)
class ResultRow:
    """A stored result; ``seq`` is its place in the agent's arrival order (1, 2, ...)."""

    agent_id: str
    id: str
    kind: str
    at: float
    job: str | None
    payload: dict[str, Any]
    received_at: float
    seq: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: who did what to what, when."""

    at: float
    actor: str
    action: str
    target: str
    detail: str
