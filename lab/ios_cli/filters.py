"""IOS output filters: ``show ... | include|exclude|begin|section REGEX``.

The filter keyword may be abbreviated like any IOS keyword; the expression is a regular
expression searched in each line. ``section`` keeps the matching lines and the indented lines
under them, as for a block of the running configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = ("include", "exclude", "begin", "section")


@dataclass(frozen=True, slots=True)
class OutputFilter:
    keyword: str
    pattern: re.Pattern[str]

    def apply(self, text: str) -> str:
        lines = text.splitlines()
        if self.keyword == "include":
            kept = [line for line in lines if self.pattern.search(line)]
        elif self.keyword == "exclude":
            kept = [line for line in lines if not self.pattern.search(line)]
        elif self.keyword == "begin":
            start = next((i for i, line in enumerate(lines) if self.pattern.search(line)), None)
            kept = lines[start:] if start is not None else []
        else:
            kept = _sections(lines, self.pattern)
        return "".join(f"{line}\n" for line in kept)


def _sections(lines: list[str], pattern: re.Pattern[str]) -> list[str]:
    kept, inside = [], False
    for line in lines:
        indented = line.startswith(" ")
        if not indented:
            inside = bool(pattern.search(line))
        if inside or pattern.search(line):
            kept.append(line)
    return kept


@dataclass(frozen=True, slots=True)
class FilterError:
    """Where the filter went wrong (the ``^`` column in the line) and why."""

    column: int
    message: str


def split(line: str) -> tuple[str, OutputFilter | FilterError | None]:
    """The command before ``|`` and its filter (None without one)."""
    command, bar, rest = line.partition("|")
    if not bar:
        return line, None
    column = len(command) + 1 + (len(rest) - len(rest.lstrip()))
    words = rest.split(maxsplit=1)
    if not words:
        return command, FilterError(column, "% Incomplete command.")
    chosen = [k for k in KEYWORDS if k.startswith(words[0].lower())]
    if len(chosen) != 1:
        return command, FilterError(column, "")
    if len(words) < 2:
        return command, FilterError(column, "% Incomplete command.")
    try:
        pattern = re.compile(words[1].strip())
    except re.error:
        return command, FilterError(column + len(words[0]) + 1, "% Invalid regular expression")
    return command, OutputFilter(chosen[0], pattern)
