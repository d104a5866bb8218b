"""Merging the documents of several files into one inventory's data, remembering origins.

Lists concatenate in file order, ``credentials`` mappings merge (a name may be defined once),
and ``province`` must agree wherever it is given. Each merged item remembers the document and
the path it came from, so a problem found later is reported at its own file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netwarden.inventory.fields import type_name
from netwarden.inventory.messages import unknown_key
from netwarden.inventory.model import Inventory
from netwarden.inventory.problems import Loc, Problem, field_path, with_path
from netwarden.inventory.yaml_source import Document

LIST_KINDS = ("agents", "sites", "devices", "links", "services")


@dataclass(slots=True)
class Merged:
    """The merged data of all documents and where each part of it came from."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[Loc, tuple[Document, Loc]] = field(default_factory=dict)
    positions: dict[Loc, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def locate(self, loc: Loc) -> tuple[str, int]:
        """The file and line of a merged path (nearest located parent, else the first file)."""
        for end in (2, 1):
            origin = self.origins.get(loc[:end])
            if origin is not None:
                doc, own = origin
                return doc.file, doc.line((*own, *loc[end:]))
        first = next(iter(self.origins.values()), None)
        return (first[0].file, 1) if first else ("<inventory>", 1)

    def where(self, loc: Loc) -> str:
        """``FILE:LINE`` of a merged path, for "first at" remarks."""
        file, line = self.locate(loc)
        return f"{file}:{line}"

    def path(self, loc: Loc) -> str:
        """The field path of a merged path, as printed in messages."""
        return field_path(self.data, loc, self.positions)

    def _problem(self, doc: Document, own: Loc, merged: Loc, message: str) -> None:
        self.problems.append(
            Problem(doc.file, doc.line(own), with_path(self.path(merged), message))
        )

    def _add_province(self, doc: Document, value: Any) -> None:
        if "province" not in self.data:
            self.data["province"] = value
            self.origins[("province",)] = (doc, ("province",))
            return
        first = self.data["province"]
        if value != first or type(value) is not type(first):
            said = f"'{first}'" if isinstance(first, str) else type_name(first)
            message = f"does not agree with {said} (first at {self.where(('province',))})"
            self._problem(doc, ("province",), ("province",), message)

    def _add_list(self, doc: Document, kind: str, value: Any) -> None:
        if value is None:  # a section left empty, e.g. all its items commented out
            return
        if not isinstance(value, list):
            self._problem(doc, (kind,), (kind,), f"must be a list, not {type_name(value)}")
            return
        items = self.data.setdefault(kind, [])
        for own_index, item in enumerate(value):
            merged: Loc = (kind, len(items))
            items.append(item)
            self.origins[merged] = (doc, (kind, own_index))
            self.positions[merged] = own_index

    def _add_credentials(self, doc: Document, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            message = f"must be a mapping of names, not {type_name(value)}"
            self._problem(doc, ("credentials",), ("credentials",), message)
            return
        creds = self.data.setdefault("credentials", {})
        for name, credential in value.items():
            loc: Loc = ("credentials", name)
            if name in creds:
                message = f"duplicate credential name (first at {self.where(loc)})"
                self._problem(doc, loc, loc, message)
                continue
            creds[name] = credential
            self.origins[loc] = (doc, loc)

    def add(self, doc: Document) -> None:
        """Merge one document into the data."""
        if not isinstance(doc.data, dict):
            message = (
                f"the file must be a mapping (province:, sites:, ...), not {type_name(doc.data)}"
            )
            self.problems.append(Problem(doc.file, 1, message))
            return
        for key, value in doc.data.items():
            if key == "province":
                self._add_province(doc, value)
            elif key in LIST_KINDS:
                self._add_list(doc, key, value)
            elif key == "credentials":
                self._add_credentials(doc, value)
            else:
                self._problem(doc, (key,), (key,), unknown_key(Inventory, key))


def merge(docs: list[Document], *, complete: bool = True) -> Merged:
    """Merge ``docs`` in order; ``province`` must be given in at least one of them.

    ``complete`` is False when some files could not be read: the province may be in one of
    them, so its absence is not reported.
    """
    merged = Merged()
    for doc in docs:
        merged.add(doc)
    complete = complete and all(isinstance(doc.data, dict) for doc in docs)
    if docs and complete and "province" not in merged.data:
        first = docs[0].file
        merged.problems.append(Problem(first, 1, "province: is required (in at least one file)"))
    return merged
