"""``netwarden config history|diff --collector URL``: the configuration history the collector
keeps (every revision agents sent it), read through its user API with ``NETWARDEN_TOKEN``.

The answers have the shapes the local commands print, so a script reads both alike; history
rows also name the agent that sent each revision.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from netwarden.errors import UsageError
from netwarden.inventory.ids import ID_PATTERN
from netwarden.user_api import call_once

MAX_REVISIONS = 1000  # the API's limit per answer


def _path(device: str, tail: str) -> str:
    if not re.match(ID_PATTERN, device):
        raise UsageError(f"{device!r} is not a device id")
    return f"/api/v1/configs/{quote(device, safe='')}/{tail}"


def remote_history(
    url: str, ca_file: Path | None, insecure: bool, device: str
) -> list[dict[str, Any]]:
    """The device's revisions at the collector, newest first."""
    request = ("GET", _path(device, "revisions"), "viewer")
    answer = call_once(url, ca_file, insecure, request, {"limit": str(MAX_REVISIONS)})
    revisions: list[dict[str, Any]] = answer["revisions"]
    return revisions


def remote_diff(
    url: str,
    ca_file: Path | None,
    insecure: bool,
    device: str,
    *,
    from_rev: str | None,
    to_rev: str | None,
) -> dict[str, Any]:
    """``{"device", "from", "to", "diff"}`` as the collector renders it."""
    params = {k: v for k, v in (("from", from_rev), ("to", to_rev)) if v is not None}
    change: dict[str, Any] = call_once(
        url, ca_file, insecure, ("GET", _path(device, "diff"), "viewer"), params
    )
    return change
