"""Alert severities, normalised to four ranks so an incident's severity is the highest one."""

from __future__ import annotations

ORDER = ("info", "warning", "major", "critical")
_ALIASES = {
    "page": "critical",
    "disaster": "critical",
    "high": "major",
    "error": "major",
    "minor": "warning",
    "medium": "warning",
    "low": "info",
    "none": "info",
}


def normalise(label: str) -> str:
    """A ``severity`` label as one of ``ORDER``; unknown or absent is ``info``."""
    word = label.strip().lower()
    word = _ALIASES.get(word, word)
    return word if word in ORDER else "info"


def highest(a: str, b: str) -> str:
    """The more severe of two normalised severities."""
    return a if ORDER.index(a) >= ORDER.index(b) else b
