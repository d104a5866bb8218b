"""Reading playbook files: one playbook per YAML file, every problem as ``PATH:LINE: message``.

The YAML is read as the inventory is (``inventory.yaml_source``: line numbers, duplicate keys,
no alias bombs), validated by the strict model, then checked statically (``checks``). A
playbook with any problem is not loaded. Ids must be unique among the files read together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from netwarden.inventory.loader import expand
from netwarden.inventory.messages import findings
from netwarden.inventory.problems import Finding, Loc, Problem, field_path, render, with_path
from netwarden.inventory.yaml_source import Document, read_document
from netwarden.playbooks.checks import Scope, playbook_findings, step_findings
from netwarden.playbooks.model import Playbook, Step

BUILTIN_DIR = Path(__file__).with_name("builtin")


@dataclass(frozen=True)
class Loaded:
    """A valid playbook, the file it came from, and the SHA-256 of its definition."""

    playbook: Playbook
    file: str
    sha256: str
    id_line: int = 1

    def definition(self) -> dict[str, Any]:
        """The playbook as JSON data (what a run keeps, so it finishes as it started)."""
        data: dict[str, Any] = self.playbook.model_dump(mode="json", by_alias=True)
        return data


def digest(playbook: Playbook) -> str:
    """The SHA-256 of a playbook's canonical JSON."""
    data = playbook.model_dump(mode="json", by_alias=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Checked:
    """The playbooks that loaded and the problem lines of those that did not."""

    playbooks: list[Loaded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# The branches of the model's unions, as pydantic names them in an error's location.
_UNION_TAGS = {"constrained-str", "Regex", "Goto", "literal['abort','continue']", "str"}


def _one_branch(found: list[Finding]) -> list[Finding]:
    """An error in a union (``match`` values, ``on_failure``) from the branch the value was
    meant for: when one branch has a problem inside the value, the other branch's "must be
    ..." at the value itself is left out."""
    bases: list[tuple[Loc, Loc]] = []  # (where the union is, the finding's untagged loc)
    for finding in found:
        first = next((i for i, p in enumerate(finding.loc) if p in _UNION_TAGS), None)
        base = finding.loc[:first] if first is not None else finding.loc
        bases.append((base, tuple(p for p in finding.loc if p not in _UNION_TAGS)))
    deeper = {base for base, loc in bases if len(loc) > len(base)}
    kept = []
    for finding, (base, loc) in zip(found, bases, strict=True):
        if loc == base and base in deeper and finding.message.startswith("must be "):
            continue
        kept.append(Finding(loc, finding.message, finding.related))
    return kept


def _locate(doc: Document, found: list[Finding]) -> list[Problem]:
    problems = []
    for finding in found:
        message = with_path(field_path(doc.data, finding.loc), finding.message)
        if finding.related is not None:
            message += f" (first at {doc.file}:{doc.line(finding.related)})"
        problems.append(Problem(doc.file, doc.line(finding.loc), message))
    return problems


def _steps_alone(data: dict[str, Any]) -> list[Finding]:
    """Static checks of the steps that are valid on their own, when the playbook is not:
    a typo in one place must not hide the problems of the other steps."""
    raw = data.get("steps")
    inputs = data.get("inputs")
    names = set(inputs) if isinstance(inputs, dict) else set()
    if not isinstance(raw, list):
        return []
    ids: list[str] = [s["id"] for s in raw if isinstance(s, dict) and isinstance(s.get("id"), str)]
    found: list[Finding] = []
    for index, item in enumerate(raw):
        try:
            step = Step.model_validate(item)
        except ValidationError:
            continue  # reported with the playbook's own problems
        before = set(ids[: ids.index(step.id)]) if step.id in ids else set()
        scope = Scope(before, names, item=step.for_each is not None, later=set(ids) - before)
        found += step_findings(step, ("steps", index), scope)
    return found


def read_playbook(path: Path, name: str) -> tuple[Loaded | None, list[Problem]]:
    """One playbook file; the playbook when it has no problem at all."""
    doc, problems = read_document(path, name)
    if doc is None:
        return None, problems
    if not isinstance(doc.data, dict):
        problems.append(Problem(name, 1, "a playbook file holds one mapping (id, title, steps)"))
        return None, problems
    try:
        playbook = Playbook.model_validate(doc.data)
    except ValidationError as exc:
        found = _one_branch(findings(exc, Playbook, ())) + _steps_alone(doc.data)
        return None, problems + _locate(doc, found)
    problems += _locate(doc, list(playbook_findings(playbook)))
    if problems:
        return None, problems
    return Loaded(playbook, name, digest(playbook), doc.line(("id",))), []


def check(paths: Sequence[str | Path]) -> Checked:
    """Read the playbooks of ``paths`` (files, or directories of ``*.yaml``/``*.yml``)."""
    files, problems = expand(paths)
    result = Checked()
    first: dict[str, Loaded] = {}
    for path, name in files:
        loaded, found = read_playbook(path, name)
        problems += found
        if loaded is None:
            continue
        other = first.get(loaded.playbook.id)
        if other is not None:
            message = f"id: playbook id '{loaded.playbook.id}' is also the id of {other.file}"
            problems.append(Problem(name, loaded.id_line, message))
            continue
        first[loaded.playbook.id] = loaded
        result.playbooks.append(loaded)
    result.problems = render(problems)
    return result


def builtin() -> list[Loaded]:
    """The built-in playbooks shipped in the package (they are valid: a test says so)."""
    checked = check([BUILTIN_DIR])
    if checked.problems:
        raise AssertionError("invalid built-in playbooks: " + "; ".join(checked.problems))
    return checked.playbooks
