"""Reading the generated dashboards the way Grafana does: their panels, queries and variables,
and the variables substituted into the queries (shared by the unit and lab tests)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netwarden.grafana.build import BOARDS, FOLDER

# Grafana's own variables, which it fills in from the time range and the panel's width.
BUILTINS = frozenset(
    {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms"}
)
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
LABEL_VALUES = re.compile(r"label_values\((.*),\s*(\w+)\)\s*$", re.DOTALL)


@dataclass(frozen=True)
class Query:
    board: str
    panel_id: int
    title: str
    ref: str
    expr: str
    instant: bool

    @property
    def key(self) -> str:
        """``board/panel title/refId``: how the lists of exceptions name a query."""
        return f"{self.board}/{self.title}/{self.ref}"


def boards() -> dict[str, dict[str, Any]]:
    """Every committed dashboard, by file name."""
    return {
        name: json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8")) for name in BOARDS
    }


def panels(board: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows and the panels inside collapsed rows included."""
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def queries(name: str, board: Mapping[str, Any]) -> list[Query]:
    return [
        Query(
            name,
            panel["id"],
            panel["title"],
            target["refId"],
            target["expr"],
            bool(target.get("instant")),
        )
        for panel in panels(board)
        for target in panel.get("targets", [])
    ]


def variables(board: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(board.get("templating", {}).get("list", []))


def variable_query(variable: Mapping[str, Any]) -> str:
    query = variable.get("query", "")
    return str(query.get("query", "") if isinstance(query, dict) else query)


def used(text: str) -> set[str]:
    return {m.group(1) or m.group(2) for m in VARIABLE.finditer(text)}


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``$name`` and ``${name}`` replaced as Grafana does before sending a query."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"no value for ${name} in {text!r}")
        return values[name]

    return VARIABLE.sub(one, text)


def split_label_values(query: str) -> tuple[str, str]:
    """``label_values(SELECTOR, LABEL)`` as (SELECTOR, LABEL)."""
    match = LABEL_VALUES.fullmatch(query.strip())
    if not match:
        raise ValueError(f"not a label_values() query: {query!r}")
    return match.group(1).strip(), match.group(2)


def path_of(name: str) -> Path:
    return FOLDER / f"{name}.json"
