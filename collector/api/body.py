"""Reading request bodies: the size limit while reading, then JSON, then the shape.

The limit is checked on ``Content-Length`` first and again on the bytes actually received (a
chunked body has no length), so an oversized body gets 413 before anything is parsed.
Validation messages name the field and the rule, never the value (it may be a credential).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request

from netwarden.collector.api.errors import ApiError

MAX_BODY = 1024 * 1024  # the contract's limit, results batches included

M = TypeVar("M", bound=BaseModel)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than {limit // 1024} KiB")


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body, refusing it with 413 as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "the client closed the connection before sending the body") from None
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> dict[str, Any]:
    """A JSON object from ``raw``; 400 for anything else (NaN and Infinity included)."""
    data = decode_json(raw)
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object")
    return data


def decode_json(raw: bytes) -> Any:
    """Any JSON value from ``raw``; 400 when it is not JSON (NaN and Infinity included)."""
    if not raw:
        raise ApiError(400, "request body is empty: a JSON object is required")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "request body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc.msg} at {exc.pos}") from None
    except (ValueError, RecursionError) as exc:
        # NaN/Infinity, integers too long to convert, or nesting deeper than the parser goes.
        raise ApiError(400, f"request body is not acceptable JSON: {str(exc)[:120]}") from None
    return data


def describe(exc: ValidationError) -> str:
    """The first problem as ``field.path: message`` (and how many more there are)."""
    errors = exc.errors(include_input=False, include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def validate(model: type[M], data: dict[str, Any]) -> M:
    """``data`` as ``model``, or 400 naming the first field that does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, describe(exc)) from None


async def read_model(request: Request, model: type[M]) -> M:
    """Read, parse and validate a request body in one step."""
    return validate(model, parse_json(await read_body(request)))
