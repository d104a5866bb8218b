"""What an action returns: its structured output (JSON) and the same as text for a person.

A failure is :class:`~netwarden.agent.actions.context.ActionFailed` (one line, and whatever
output it had); the job runner turns either into the ``job-result`` payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ActionResult:
    """``output`` is the action's structured output; ``text`` renders it for a person (it
    becomes the evidence file of a step with ``evidence: true``)."""

    output: dict[str, Any]
    text: str


def ms(seconds: float | None) -> str:
    """Seconds as milliseconds for text (``0.412 ms``), ``-`` for nothing."""
    return "-" if seconds is None else f"{seconds * 1000:.3f} ms"
