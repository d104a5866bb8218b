"""Per-platform parsers of CLI output, and the TextFSM plumbing they share.

Every parser is a pure function ``(output) -> value`` that raises
:class:`~netwarden.agent.ssh.collected.ParseError` naming its command when the output is not
what it expects; the collection counts that error and goes on with the next command.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from io import StringIO
from typing import Any

from netwarden.agent.ssh.collected import ParseError

Row = dict[str, Any]  # a TextFSM record, lower-case field names; values are str or list[str]


def ntc_parse(platform: str, command: str, output: str) -> list[Row]:
    """Parse with ntc-templates' index (``platform`` is an ntc platform, e.g. ``huawei_vrp``)."""
    from ntc_templates.parse import parse_output  # lazy: textfsm's clitable is not needed early

    try:
        rows: list[Row] = parse_output(platform=platform, command=command, data=output)
    except Exception as exc:  # a template's Error state and a missing template alike
        raise ParseError(command, f"template failed: {_one_line(exc)}") from exc
    return rows


@cache
def _template_text(name: str) -> str:
    return resources.files("netwarden.agent.ssh").joinpath("templates", name).read_text("utf-8")


def own_parse(template: str, command: str, output: str) -> list[Row]:
    """Parse with one of netwarden's templates under ``agent/ssh/templates/``."""
    import textfsm  # lazy, as above

    try:
        fsm = textfsm.TextFSM(StringIO(_template_text(template)))
        records = fsm.ParseText(output)
    except textfsm.TextFSMError as exc:
        raise ParseError(command, f"template failed: {_one_line(exc)}") from exc
    header = [name.lower() for name in fsm.header]
    return [dict(zip(header, record, strict=True)) for record in records]


def require_rows(rows: list[Row], command: str) -> list[Row]:
    """``rows`` if there is at least one: an empty table means an unexpected layout."""
    if not rows:
        raise ParseError(command, "no records in the output (unexpected layout)")
    return rows


def to_int(value: str, command: str, what: str) -> int:
    """A counter as an int; a non-number is a parse error naming the field."""
    try:
        return int(value)
    except ValueError:
        raise ParseError(command, f"{what} is not a number: {value[:40]!r}") from None


def opt_int(value: str) -> int | None:
    """A field the template may leave empty (the platform did not print it)."""
    return int(value) if value.isdigit() else None


_UNITS = {"year": 365 * 86400, "week": 7 * 86400, "day": 86400, "hour": 3600, "minute": 60,
          "second": 1}  # fmt: skip
_SPAN = re.compile(r"(\d+)\s*(year|week|day|hour|minute|second)s?", re.IGNORECASE)


def uptime_seconds(text: str) -> int | None:
    """``1 year, 2 weeks, 3 days, 4 hours, 5 minutes`` (IOS, VRP, Comware wording) -> seconds."""
    spans = _SPAN.findall(text)
    if not spans:
        return None
    return sum(int(count) * _UNITS[unit.lower()] for count, unit in spans)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
