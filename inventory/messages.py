"""Pydantic validation errors turned into short messages for a network admin.

Pydantic's own messages are fine for developers but say "Input should be a valid integer" and
can carry the input. Here each error type gets a message in the inventory's words; the input
is only described by its YAML type (a string, a number), never shown.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from netwarden.inventory.fields import DEVICE_NAME_PATTERN, DEVICE_NAME_RULE, type_name
from netwarden.inventory.ids import ID_PATTERN, ID_RULE
from netwarden.inventory.problems import Finding, Loc

_PATTERNS = {
    ID_PATTERN: ID_RULE,
    r"^[a-z][a-z0-9_]*$": "must be a netmiko device_type, like cisco_ios",
    DEVICE_NAME_PATTERN: DEVICE_NAME_RULE,
}
_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation like ``X | None`` or ``list[X]``, if any."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc`` (relative to ``model``)."""
    current: type[BaseModel] | None = model
    for key in loc:
        if current is None:
            return None
        if isinstance(key, int) or key not in current.model_fields:
            # A list position or a mapping entry name: the model stays the item's model.
            continue
        current = _model_in(current.model_fields[key].annotation)
    return current


def unknown_key(model: type[BaseModel] | None, key: str) -> str:
    """The message for an unknown key, suggesting the key that was probably meant."""
    if model is None:
        return "unknown key"
    allowed = [field.alias or name for name, field in model.model_fields.items()]
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return f"unknown key (allowed: {', '.join(allowed)})"


def _wrong_type(expected: str, value: Any) -> str:
    message = f"must be {expected}, not {type_name(value)}"
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        message += " (write it without quotes)"
    return message


_BY_KIND: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: "is required",
    "literal_error": lambda ctx: f"must be {ctx['expected']}",
    "string_pattern_mismatch": lambda ctx: _PATTERNS.get(str(ctx["pattern"]), "has a wrong form"),
    "greater_than_equal": lambda ctx: f"must be at least {ctx['ge']}",
    "greater_than": lambda ctx: f"must be more than {ctx['gt']}",
    "less_than_equal": lambda ctx: f"must be at most {ctx['le']}",
    "less_than": lambda ctx: f"must be less than {ctx['lt']}",
    "string_too_short": lambda ctx: "must not be empty",
    "too_short": lambda ctx: "must not be an empty list (leave the key out instead)",
}


def message(detail: ErrorDetails, model: type[BaseModel]) -> str:
    """The message for one pydantic error found while validating ``model``."""
    kind = detail["type"]
    if kind == "extra_forbidden":
        return unknown_key(model_at(model, detail["loc"][:-1]), str(detail["loc"][-1]))
    if kind in _EXPECTED:
        return _wrong_type(_EXPECTED[kind], detail.get("input"))
    if kind in _BY_KIND:
        return _BY_KIND[kind](dict(detail.get("ctx") or {}))
    # Our own validators' messages (PydanticCustomError), written for this purpose.
    return detail["msg"]


def findings(error: ValidationError, model: type[BaseModel], prefix: Loc) -> list[Finding]:
    """One finding per error of ``error`` (raised validating ``model`` at ``prefix``)."""
    result = []
    for detail in error.errors(include_url=False):
        loc: Loc = (*prefix, *detail["loc"])
        field = (detail.get("ctx") or {}).get("field")
        if isinstance(field, str):
            # A model rule about one of its fields: point at that field.
            loc = (*loc, field)
        result.append(Finding(loc, message(detail, model)))
    return result
