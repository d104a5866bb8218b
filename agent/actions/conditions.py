"""The comparisons of ``wait_until``'s SNMP condition, free of I/O.

``equals``/``not_equals`` compare numbers with numbers and text with text (a number asked
for and a text value that reads as one, like ``"2"``, compare as numbers); ``below``/``above``
need a number.
"""

from __future__ import annotations

from netwarden.agent.actions.params import Comparison

Value = int | float | str | None


def _number(value: Value) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _equal(value: Value, expected: int | float | str) -> bool:
    if isinstance(expected, str):
        return value is not None and str(value) == expected
    number = _number(value)
    return number is not None and number == float(expected)


def holds(comparison: Comparison, expected: int | float | str, value: Value) -> bool:
    """Whether ``value`` (an SNMP value as JSON: number, text or None) meets the condition."""
    if comparison == "equals":
        return _equal(value, expected)
    if comparison == "not_equals":
        return value is not None and not _equal(value, expected)
    number, limit = _number(value), _number(expected)
    if number is None or limit is None:
        return False
    return number < limit if comparison == "below" else number > limit
