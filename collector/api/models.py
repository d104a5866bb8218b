"""The shapes of request bodies (docs/collector-api.md), as strict pydantic models.

Agent bodies ignore unknown keys: during a rolling upgrade a newer agent may send a field this
collector does not know yet, and refusing every heartbeat of 200 agents for it would be worse
than ignoring it. User bodies forbid unknown keys (a typo in a job request is a mistake to
report). Lengths and ranges follow the store's columns, so nothing valid here can fail there.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from netwarden.hostport import HostPortError, parse_hostport
from netwarden.inventory.ids import ID_PATTERN

# Printable text: a NUL byte is refused by PostgreSQL, control characters garble logs.
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str, StringConstraints(max_length=255, pattern=_PRINTABLE)]
ShortText = Annotated[str, StringConstraints(max_length=64, pattern=_PRINTABLE)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
BigCount = Annotated[int, Field(ge=0, le=2**63 - 1)]
Seconds = Annotated[float, Field(ge=0, le=1e11)]  # a Unix time, well past year 5000
JobKind = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


def _host_port(value: str) -> str:
    try:
        parse_hostport(value)
    except HostPortError as exc:
        raise ValueError(f"must be HOST:PORT ({exc})") from None
    return value


def _uuid(value: str) -> str:
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValueError("must be a UUID") from None
    return value


HostPort = Annotated[Text, AfterValidator(_host_port)]
ResultId = Annotated[str, StringConstraints(max_length=64), AfterValidator(_uuid)]


class _AgentBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False, frozen=True)


class _UserBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class EnrollIn(_AgentBody):
    token: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    hostname: Annotated[Text, StringConstraints(min_length=1)]
    version: ShortText


class HeartbeatIn(_AgentBody):
    sent_at: Seconds
    version: ShortText
    started_at: Seconds
    devices_assigned: Count
    devices_healthy: Count
    polls_ok: BigCount
    polls_failed: BigCount
    queue_depth: BigCount
    queue_dropped: BigCount
    assignment_etag: (
        Annotated[str, StringConstraints(max_length=128, pattern=_PRINTABLE)] | None
    ) = None
    advertise: HostPort | None = None  # null: the agent pushes, or serves no /metrics
    # The push spool (docs/push.md): samples waiting and the oldest one's age; null when the
    # agent does not push (or predates push).
    spool_depth: BigCount | None = None
    spool_oldest_age: Seconds | None = None


class ResultBody(_AgentBody):
    id: ResultId
    kind: Literal["event", "poll-summary", "job-result", "config-revision", "device-event"]
    at: Seconds
    job: Annotated[str, StringConstraints(max_length=36, pattern=_PRINTABLE)] | None
    payload: dict[str, Any]


class ResultsIn(_AgentBody):
    results: list[ResultBody]


def _iso_time(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 time") from None
    return value


Commit = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40,64}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
DeviceId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class ConfigRevisionBody(_AgentBody):
    """The payload of a ``config-revision`` result (docs/collector-api.md)."""

    device: DeviceId
    site: DeviceId
    role: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=_PRINTABLE)]
    commit: Commit
    previous_commit: Commit | None = None
    time: Annotated[
        str,
        StringConstraints(min_length=1, max_length=40, pattern=_PRINTABLE),
        AfterValidator(_iso_time),
    ]
    fetched_at: Seconds
    sha256: Sha256
    size: Annotated[int, Field(ge=0, le=16 * 1024 * 1024)]
    config_gzip_b64: Annotated[str, StringConstraints(max_length=1024 * 1024)]


class JobIn(_UserBody):
    kind: JobKind
    params: dict[str, Any] = Field(default_factory=dict)
    # The agent does not start the job after this time (and the collector stops handing it
    # out); without it the job waits for its agent for ever.
    expires_at: Seconds | None = None
    lease: Annotated[float, Field(gt=0, le=7 * 86400)] | None = None
