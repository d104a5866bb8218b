"""The base of every inventory model and the error a model rule raises."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError


class Strict(BaseModel):
    """Base of every inventory model: strict types, unknown keys are errors."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def rule_error(message: str, field: str | None = None) -> PydanticCustomError:
    """An error of a model rule; ``field`` (in ctx) lets the loader point at that field."""
    return PydanticCustomError("rule", message, {"field": field} if field else None)


def exactly_one(model: BaseModel, names: tuple[str, ...], what: str) -> None:
    """Raise a rule error unless exactly one of the optional fields ``names`` is set."""
    given = [name for name in names if getattr(model, name) is not None]
    if len(given) != 1:
        choice = ", ".join(f"'{name}'" for name in names)
        found = f" (found {', '.join(given)})" if given else ""
        raise rule_error(f"needs exactly one of {choice} for {what}{found}")
