"""Rendering of command results for people (aligned tables) and scripts (JSON)."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Sequence
from typing import Any


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON; non-ASCII (Vietnamese names) stays readable."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces, a header and a rule under it."""
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
