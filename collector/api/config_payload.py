"""A ``config-revision`` result as the agent posts it: the revision's metadata and its
configuration, gzip'd and base64'd (a configuration compresses ~5-10x, so one of several
megabytes still fits the 1 MiB request limit). Decoded and checked here, at the seam: the
store gets the text, and the result row keeps the metadata only."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from typing import Any

from pydantic import ValidationError

from netwarden.collector.api.body import describe
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.models import ConfigRevisionBody
from netwarden.collector.store.rows import ConfigRevisionIn

MAX_TEXT = 16 * 1024 * 1024  # bytes a configuration may inflate to: a zip bomb stops here


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)  # gzip framing
    text = inflater.decompress(data, MAX_TEXT + 1)
    if len(text) > MAX_TEXT or inflater.unconsumed_tail:
        raise ValueError(f"it inflates past {MAX_TEXT // (1024 * 1024)} MiB")
    if not inflater.eof:
        raise ValueError("the gzip data is cut off")
    return text


def decode_revision(
    result_id: str, payload: dict[str, Any]
) -> tuple[ConfigRevisionIn, dict[str, Any]]:
    """The revision, and the payload to keep in the result row (without the configuration).
    422 naming the result when the payload is not a configuration revision."""
    try:
        body = ConfigRevisionBody.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(422, f"result {result_id}: payload.{describe(exc)}") from None
    try:
        raw = _inflate(base64.b64decode(body.config_gzip_b64, validate=True))
        text = raw.decode("utf-8")
    except (binascii.Error, zlib.error, ValueError) as exc:  # UnicodeDecodeError included
        raise ApiError(
            422, f"result {result_id}: config_gzip_b64 is not gzip'd UTF-8 text ({exc})"
        ) from None
    if hashlib.sha256(raw).hexdigest() != body.sha256:
        raise ApiError(422, f"result {result_id}: the configuration does not match its sha256")
    revision = ConfigRevisionIn(
        device=body.device,
        site=body.site,
        role=body.role,
        revision=body.commit,
        previous_revision=body.previous_commit,
        time=body.time,
        fetched_at=body.fetched_at,
        sha256=body.sha256,
        config=text,
    )
    kept = body.model_dump(exclude={"config_gzip_b64"})
    return revision, kept
