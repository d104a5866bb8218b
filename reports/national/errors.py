"""Errors of the national report drafts."""

from __future__ import annotations

from netwarden.errors import NetwardenError


class ReportError(NetwardenError):
    """A draft could not be made (unknown form or format, a renderer missing)."""


class ReportingConfigError(ReportError):
    """``reporting.yaml`` is invalid; ``problems`` holds one ``PATH:LINE: message`` each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"reporting config has {len(problems)} {noun}")
