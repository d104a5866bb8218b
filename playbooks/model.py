"""The playbook model: one YAML file, one playbook, as strict pydantic models.

What one object can say about itself is checked here (types, ids, durations, a regular
expression that compiles, an input's default of its type). What needs the catalogue of actions,
the templates or the whole list of steps (args, ``from``, approvals on every path, ``goto``
cycles) is checked by :mod:`netwarden.playbooks.checks` and :mod:`netwarden.playbooks.flow`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

from pydantic import Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from netwarden.inventory.fields import Duration, Id, duration_default
from netwarden.inventory.strict import Strict, rule_error

STEP_ID_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
STEP_ID_RULE = (
    "must be a step id: a lower-case letter, then lower-case letters, digits or '_' "
    "(templates read it as steps.<id>)"
)
LABEL_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]{0,127}$"

StepId = Annotated[str, StringConstraints(pattern=STEP_ID_PATTERN)]
"""A step's id (also an input's name): usable as a template attribute."""
LabelName = Annotated[str, StringConstraints(pattern=LABEL_PATTERN)]
"""An alert label's name, as Prometheus allows it."""

MAX_STEPS = 100
DEFAULT_QUEUE_TIMEOUT = 3600.0  # how long a job may wait for its agent to take it
DEFAULT_RETRY_DELAY = 5.0

LockScope = Literal["none", "device", "link", "service", "site", "incident"]
InputType = Literal["string", "integer", "number", "boolean"]


class Regex(Strict):
    """``{regex: ...}``: the label's whole value must match (Alertmanager's ``=~``)."""

    regex: Annotated[str, StringConstraints(min_length=1, max_length=1000)]

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise PydanticCustomError(
                "regex", "is not a valid regular expression: {why}", {"why": str(exc)}
            ) from None
        return pattern

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.regex, value) is not None


Matcher = Annotated[str, StringConstraints(max_length=4096)] | Regex


class Throttle(Strict):
    """At most one run of this playbook per ``key`` (the values of these labels) within
    ``window``."""

    window: Duration
    key: list[LabelName] = Field(default_factory=lambda: ["incident"], min_length=1)


class Input(Strict):
    """A value given when the playbook starts (``--input NAME=VALUE``), else its default."""

    type: InputType = "string"
    default: str | int | float | bool | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _default_of_its_type(self) -> Self:
        if self.default is not None and not input_fits(self.type, self.default):
            raise rule_error(f"must be a {self.type}", "default")
        return self


def input_fits(kind: InputType, value: object) -> bool:
    """Whether ``value`` (from YAML or JSON) is a value of an input of type ``kind``."""
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, int | float)
    return isinstance(value, str)


class Retry(Strict):
    """Run a failed step again: ``count`` more times, ``delay`` apart."""

    count: int = Field(ge=1, le=10)
    delay: Duration = duration_default(DEFAULT_RETRY_DELAY)


class Goto(Strict):
    """``on_failure: {goto: STEP}``: go on at that step."""

    goto: StepId


OnFailure = Literal["abort", "continue"] | Goto


class Step(Strict):
    """One action with its ``args``, where it runs and what happens when it fails."""

    id: StepId
    title: Annotated[str, StringConstraints(max_length=255)] | None = None
    action: Annotated[str, StringConstraints(min_length=1, max_length=63)]
    args: dict[str, Any] = Field(default_factory=dict)
    from_: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = Field(
        default=None, alias="from"
    )
    when: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    for_each: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    timeout: Duration | None = None
    queue_timeout: Duration | None = None
    retry: Retry | None = None
    on_failure: OnFailure = "abort"
    evidence: bool = False

    @property
    def goto(self) -> str | None:
        """The step ``on_failure`` goes to, if it is a goto."""
        return self.on_failure.goto if isinstance(self.on_failure, Goto) else None


class Conclusion(Strict):
    """A line written to the run and the incident when the run ends and ``when`` holds."""

    when: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class Playbook(Strict):
    """A playbook: which alerts start it, how often, and its steps."""

    id: Id
    title: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    description: str | None = None
    match: dict[LabelName, Matcher] | None = None
    throttle: Throttle | None = None
    lock: LockScope = "none"
    inputs: dict[StepId, Input] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    conclusions: list[Conclusion] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _match_not_empty(self) -> Self:
        if self.match is not None and not self.match:
            raise rule_error(
                "needs at least one label (leave 'match' out for a playbook run by hand)", "match"
            )
        return self

    def step(self, step_id: str) -> Step:
        """The step with id ``step_id`` (``KeyError`` if none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"no step {step_id!r} in playbook {self.id}")

    def index(self, step_id: str) -> int:
        """The position of step ``step_id`` (``KeyError`` if none)."""
        for position, step in enumerate(self.steps):
            if step.id == step_id:
                return position
        raise KeyError(f"no step {step_id!r} in playbook {self.id}")

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether an alert with ``labels`` starts this playbook (never without ``match``)."""
        if not self.match:
            return False
        for name, wanted in self.match.items():
            value = labels.get(name, "")
            if isinstance(wanted, Regex):
                if not wanted.matches(value):
                    return False
            elif value != wanted:
                return False
        return True
