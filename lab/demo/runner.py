"""The demo's step runner: runs named steps in order, times each, checks its outcome and prints
a timeline. A step that raises stops the demo: the runner names it and the exit code is 1.

A step checks its own outcome: it returns only once what it claims has been seen (an alert in
Alertmanager, a row in the collector, a file on disk). A step may also be skipped on purpose
(``StepSkipped``), e.g. one whose subsystem is not installed: the timeline says so and why, and
a skipped step never counts as done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from netwarden.errors import NetwardenError


class StepFailed(NetwardenError):
    """A demo step's check did not hold: one line saying what was expected and what was seen."""


class StepSkipped(NetwardenError):
    """The step cannot run here (its subsystem is missing); the message says why."""


@dataclass(frozen=True)
class Step:
    """One step of the demo: a title the timeline shows and the function that does it."""

    title: str
    run: Callable[[], None]


@dataclass(frozen=True)
class Outcome:
    title: str
    status: str  # "ok", "skipped", "FAILED"
    seconds: float
    note: str = ""


@dataclass
class Timeline:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> Outcome | None:
        return next((o for o in self.outcomes if o.status == "FAILED"), None)

    @property
    def total(self) -> float:
        return sum(o.seconds for o in self.outcomes)

    def render(self) -> str:
        lines = ["demo timeline:"]
        elapsed = 0.0
        for number, outcome in enumerate(self.outcomes, start=1):
            elapsed += outcome.seconds
            note = f"  ({outcome.note})" if outcome.note else ""
            lines.append(
                f"  {number:2d}. {outcome.title:<58} {outcome.status:<7}"
                f" {outcome.seconds:6.1f} s  at {elapsed:6.1f} s{note}"
            )
        lines.append(f"  total {self.total:.1f} s")
        return "\n".join(lines)


def run_steps(
    steps: Sequence[Step],
    out: TextIO,
    clock: Callable[[], float] = time.monotonic,
    done_before: int = 0,
) -> Timeline:
    """Run ``steps`` in order until one fails; every outcome goes into the returned timeline.
    ``done_before``: steps the timeline will show before these (the set-up), so that the
    numbers printed as they run are the timeline's."""
    timeline = Timeline()
    total = len(steps) + done_before
    for number, step in enumerate(steps, start=1 + done_before):
        print(f"\n== step {number}/{total}: {step.title}", file=out, flush=True)
        started = clock()
        try:
            step.run()
        except StepSkipped as skipped:
            outcome = Outcome(step.title, "skipped", clock() - started, str(skipped))
        except Exception as exc:
            outcome = Outcome(step.title, "FAILED", clock() - started, _one_line(exc))
        else:
            outcome = Outcome(step.title, "ok", clock() - started)
        timeline.outcomes.append(outcome)
        print(f"-- {outcome.status} in {outcome.seconds:.1f} s", file=out, flush=True)
        if outcome.status == "FAILED":
            print(f"demo: step {number} '{step.title}' failed: {outcome.note}", file=out)
            break
    return timeline


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    head = text[0] if text else ""
    return f"{type(exc).__name__}: {head}" if not isinstance(exc, NetwardenError) else head
