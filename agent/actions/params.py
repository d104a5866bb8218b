"""The params model of every playbook action (a step's rendered ``args``, a job's ``params``).

Strict: unknown keys and wrong types are refused, numbers are bounded, and rules across fields
(``device`` or ``host``, one comparison in a condition) are model validators. ``max_seconds``
is how long the action may take with these params, the agent's bound on the job.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from netwarden.agent.actions.fields import (
    AbsolutePath,
    DeviceId,
    Email,
    Host,
    Line,
    Oid,
    Params,
    Revision,
    Seconds,
    Url,
    one_of,
)

MAX_OIDS = 64  # one GET request's worth; more is a walk
SLACK = 5.0  # seconds beyond an action's own timeouts (name resolution, thread pool queueing)


class DeviceOrHost(Params):
    """``device`` (an inventory id, its management address) or ``host`` (an address or name)."""

    device: DeviceId | None = None
    host: Host | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        one_of(self, ("device", "host"))
        return self


class SnmpGetParams(Params):
    device: DeviceId
    oids: list[Oid] = Field(min_length=1, max_length=MAX_OIDS)


class SnmpWalkParams(Params):
    device: DeviceId
    oid: Oid
    max_rows: int = Field(default=1000, ge=1, le=10_000)  # a result stays under 1 MiB

    def max_seconds(self) -> float:
        return 120.0


class PingParams(DeviceOrHost):
    count: int = Field(default=10, ge=1, le=1000)
    interval: Seconds = Field(default=0.2, ge=0.01, le=10.0)
    timeout: Seconds = Field(default=1.0, gt=0, le=30.0)

    def max_seconds(self) -> float:
        return self.count * self.interval + self.timeout + SLACK


class TcpParams(DeviceOrHost):
    port: int = Field(ge=1, le=65535)
    timeout: Seconds = Field(default=3.0, gt=0, le=60.0)

    def max_seconds(self) -> float:
        return self.timeout + SLACK


class HttpParams(Params):
    url: Url
    expect_status: int = Field(default=200, ge=100, le=599)
    tls_verify: bool = True
    ca_file: AbsolutePath | None = None
    timeout: Seconds = Field(default=10.0, gt=0, le=120.0)

    def max_seconds(self) -> float:
        return self.timeout + SLACK


class TracerouteParams(DeviceOrHost):
    max_hops: int = Field(default=16, ge=1, le=64)
    timeout: Seconds = Field(default=1.0, gt=0, le=10.0)

    def max_seconds(self) -> float:
        # scapy's import (about 2 s) and one round of probes per hop at worst.
        return self.max_hops * self.timeout + 10.0 + SLACK


class SshCommandParams(Params):
    device: DeviceId
    command: Line

    def max_seconds(self) -> float:
        return 90.0


class CollectConfigParams(Params):
    device: DeviceId

    def max_seconds(self) -> float:
        return 120.0


class ConfigDiffParams(Params):
    """Both revisions absent: the device's last change. ``to_rev`` absent: the newest."""

    device: DeviceId
    from_rev: Revision | None = None
    to_rev: Revision | None = None


class SetInterfaceAdminParams(Params):
    device: DeviceId
    interface: Line
    state: Literal["up", "down"]

    def max_seconds(self) -> float:
        return 90.0


Comparison = Literal["equals", "not_equals", "below", "above"]


class SnmpCondition(Params):
    """One SNMP value compared: equal (a number or text), not equal, below or above a number."""

    device: DeviceId
    oid: Oid
    equals: int | float | str | None = None
    not_equals: int | float | str | None = None
    below: float | None = None
    above: float | None = None

    @model_validator(mode="after")
    def _one_comparison(self) -> Self:
        one_of(self, ("equals", "not_equals", "below", "above"))
        return self

    def comparison(self) -> tuple[Comparison, int | float | str]:
        """The comparison asked for and the value it compares with."""
        for name in ("equals", "not_equals", "below", "above"):
            value = getattr(self, name)
            if value is not None:
                return name, value
        raise AssertionError("validated: one comparison is set")


class ProbeCondition(Params):
    """One of the agent's probes (``target`` as the ``probe`` job takes it) and the outcome
    waited for."""

    kind: Literal["icmp", "tcp", "http"]
    target: dict[str, Any]
    success: bool = True


class WaitCondition(Params):
    snmp: SnmpCondition | None = None
    probe: ProbeCondition | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        one_of(self, ("snmp", "probe"))
        return self


class WaitUntilParams(Params):
    condition: WaitCondition
    every: Seconds = Field(default=2.0, ge=0.1, le=600.0)
    timeout: Seconds = Field(default=60.0, gt=0, le=3600.0)

    @model_validator(mode="after")
    def _every_within_timeout(self) -> Self:
        if self.every > self.timeout:
            raise PydanticCustomError("every", "'every' must not be longer than 'timeout'")
        return self

    def max_seconds(self) -> float:
        # The last check may start just before the timeout and take its own time.
        return self.timeout + 30.0 + SLACK


class ApprovalParams(Params):
    role: Literal["responder", "admin"] = "responder"
    timeout: Seconds = Field(default=3600.0, gt=0, le=7 * 86400.0)
    message: str | None = Field(default=None, max_length=2000)

    def max_seconds(self) -> float:
        return self.timeout


class NotifyParams(Params):
    webhook: Url | None = None
    email: Email | None = None
    message: str = Field(min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _one_channel(self) -> Self:
        one_of(self, ("webhook", "email"))
        return self


class ReportParams(Params):
    form: Literal["notice", "initial", "final"]
    format: Literal["md", "docx", "pdf"] = "md"


class EventsParams(Params):
    device: DeviceId
    window: Seconds = Field(default=900.0, gt=0, le=7 * 86400.0)  # back from the step's start
    limit: int = Field(default=100, ge=1, le=1000)  # the newest kept
