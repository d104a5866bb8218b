"""Query parameters: numbers within bounds, or 400 naming the parameter."""

from __future__ import annotations

import math

from starlette.requests import Request

from netwarden.collector.api.errors import ApiError


def number_param(request: Request, name: str, *, default: float, low: float, high: float) -> float:
    """The query parameter ``name`` as a number in [low, high] (``default`` when absent)."""
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ApiError(400, f"query parameter {name} must be a number") from None
    if math.isnan(value) or not low <= value <= high:
        raise ApiError(400, f"query parameter {name} must be between {low:g} and {high:g}")
    return value


def int_param(request: Request, name: str, *, default: int, low: int, high: int) -> int:
    """The query parameter ``name`` as a whole number in [low, high]."""
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = int(text) if len(text) <= 20 else None
    except ValueError:
        value = None
    if value is None:
        raise ApiError(400, f"query parameter {name} must be a whole number")
    if not low <= value <= high:
        raise ApiError(400, f"query parameter {name} must be between {low} and {high}")
    return value
