"""Validating merged data item by item, so one bad device does not hide the problems of others.

Items that pass are assembled into an :class:`Inventory` (which then holds only valid items);
the positions of the kept items are remembered to map findings back to the merged data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from netwarden.inventory.fields import Id
from netwarden.inventory.ids import ID_RULE
from netwarden.inventory.messages import findings
from netwarden.inventory.model import Agent, Credential, Device, Inventory, Link, Service, Site
from netwarden.inventory.problems import Finding, Loc
from netwarden.inventory.references import Unvalidated, duplicate_ids

MODELS: dict[str, type[BaseModel]] = {
    "agents": Agent,
    "sites": Site,
    "devices": Device,
    "links": Link,
    "services": Service,
}
_ID = TypeAdapter(Id)


@dataclass(slots=True)
class Built:
    """The valid part of the inventory, the problems of the rest, and the way back."""

    inventory: Inventory
    findings: list[Finding] = field(default_factory=list)
    # kind -> merged position of each item kept in the inventory's list of that kind
    positions: dict[str, list[int]] = field(default_factory=dict)
    unvalidated: Unvalidated = field(default_factory=Unvalidated)

    def merged_loc(self, loc: Loc) -> Loc:
        """Translate a path into the inventory's lists into a path into the merged data."""
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(loc[0], str):
            return (loc[0], self.positions[loc[0]][loc[1]], *loc[2:])
        return loc


def _raw(item: Any, key: str) -> str | None:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


def _validate(
    model: type[BaseModel],
    value: Any,
    loc: Loc,
    out: list[Finding],
    shared: dict[Any, Any] | None = None,
) -> BaseModel | None:
    try:
        # ``shared``: one object per distinct equal part within a load (Device._shared).
        return model.model_validate(value, context=shared)
    except ValidationError as exc:
        out.extend(findings(exc, model, loc))
        return None


def _duplicates(kind: str, items: list[Any]) -> list[Finding]:
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    noun = kind.removesuffix("s")
    return [
        Finding((kind, index, "id"), f"duplicate {noun} id '{ids[index]}'", (kind, first, "id"))
        for index, first in duplicate_ids(ids)
    ]


def _credentials(data: Any, out: list[Finding], bad: set[str]) -> dict[str, Credential]:
    result: dict[str, Credential] = {}
    for name, value in (data or {}).items():
        loc: Loc = ("credentials", name)
        try:
            _ID.validate_python(name, strict=True)
        except ValidationError:
            out.append(Finding(loc, f"the name {ID_RULE}"))
        credential = _validate(Credential, value, loc, out)
        if isinstance(credential, Credential):
            result[name] = credential
        else:
            bad.add(name)
    return result


def _province(data: dict[str, Any], out: list[Finding]) -> str:
    if "province" not in data:  # reported by the merge, which knows which files were read
        return ""
    try:
        return _ID.validate_python(data["province"], strict=True)
    except ValidationError as exc:
        out.extend(findings(exc, Inventory, ("province",)))
        return ""


def build(data: dict[str, Any]) -> Built:
    """Validate every item of the merged ``data``; never raises for bad input."""
    out: list[Finding] = []
    kept: dict[str, Any] = {}
    positions: dict[str, list[int]] = {}
    bad_ids: dict[str, set[str]] = {}
    agent_sites: set[str] = set()
    shared: dict[Any, Any] = {}  # for this load only: a reload shares nothing with the last
    for kind, model in MODELS.items():
        kept[kind], positions[kind], bad_ids[kind] = [], [], set()
        out += _duplicates(kind, data.get(kind, []))
        for index, item in enumerate(data.get(kind, [])):
            valid = _validate(model, item, (kind, index), out, shared)
            if valid is not None:
                kept[kind].append(valid)
                positions[kind].append(index)
                continue
            ident = _raw(item, "id")
            if ident is not None:
                bad_ids[kind].add(ident)
            site = _raw(item, "site")
            if kind == "agents" and site is not None:
                agent_sites.add(site)
    bad_ids["credentials"] = set()
    credentials = _credentials(data.get("credentials"), out, bad_ids["credentials"])
    inventory = Inventory.model_construct(
        province=_province(data, out), credentials=credentials, **kept
    )
    skip = Unvalidated({k: frozenset(v) for k, v in bad_ids.items()}, frozenset(agent_sites))
    return Built(inventory, out, positions, skip)
