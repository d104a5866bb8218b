"""A probe target from JSON (a job's params): strict, with one line saying what is wrong.

Targets are plain frozen dataclasses of str, int, float, bool and ``X | None`` fields, so one
reader serves every kind: unknown keys, missing keys and wrong types are refused (a bool is
not a number; a whole number is a float), then the dataclass's own checks run.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from netwarden.errors import NetwardenError

T = TypeVar("T")

_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


class TargetParamsError(NetwardenError):
    """Params that do not make a target of the kind asked for."""


def target_from_params(cls: type[T], params: object) -> T:
    """An instance of the dataclass ``cls`` from the JSON object ``params``."""
    if not isinstance(params, Mapping):
        raise TargetParamsError("the target must be an object")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise TargetParamsError(f"unknown target key {unknown[0]!r}: it takes {', '.join(fields)}")
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in params:
            values[name] = _checked(name, params[name], hints[name])
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise TargetParamsError(f"the target needs {name!r}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise TargetParamsError(str(exc)) from None


def _checked(name: str, value: object, hint: object) -> object:
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for kind in allowed:
        if kind is type(None) and value is None:
            return None
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind in (str, int, bool) and type(value) is kind:
            return value
    wanted = " or ".join(_NAMES.get(k, "null") for k in allowed)
    raise TargetParamsError(f"target {name!r} must be {wanted}, got {value!r}")
