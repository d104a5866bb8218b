"""Reading one inventory file: bytes -> checked text -> YAML nodes -> data plus line numbers.

PyYAML's constructor forgets where things were and silently keeps the last of two equal keys,
so this module composes nodes and builds the data itself, recording the line of every key and
list item, and reporting duplicate keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import yaml

from netwarden.inventory.problems import Loc, Problem, field_path, with_path

_MERGE_TAG = "tag:yaml.org,2002:merge"
# Far above any real inventory; stops alias bombs ("billion laughs") and self-referencing
# aliases before they eat memory or the stack.
_MAX_NODES = 300_000
_MAX_DEPTH = 64

if TYPE_CHECKING:
    _Loader: TypeAlias = yaml.SafeLoader | yaml.CSafeLoader
# libyaml (when PyYAML was built with it) parses about ten times faster than pure Python.
_FAST_LOADER: type[_Loader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(slots=True)
class Document:
    """One parsed file: its data and the 1-based line of every path in it."""

    file: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Loc) -> int:
        """The line of ``loc``, else of its nearest parent that has one, else 1."""
        for end in range(len(loc), 0, -1):
            found = self.lines.get(loc[:end])
            if found is not None:
                return found
        return 1


class _TooBig(Exception):
    """The node budget or depth limit was exceeded."""


class _Builder:
    """Turns a node tree into dicts, lists and scalars while recording lines and duplicates."""

    def __init__(self, loader: _Loader, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.duplicates: list[tuple[Loc, int, int]] = []  # (loc, line, first line)
        self.bad_keys: list[tuple[Loc, int]] = []
        self.bad_values: list[tuple[Loc, int]] = []
        self.count = 0

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > _MAX_NODES or len(loc) > _MAX_DEPTH:
            raise _TooBig
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self.doc.lines.setdefault((*loc, index), child.start_mark.line + 1)
                items.append(self.build(child, (*loc, index)))
            return items
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError):
            # A scalar that looks like a timestamp but is not a valid date (2024-13-45).
            self.bad_values.append((loc, node.start_mark.line + 1))
            return None

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        own = {id(key) for key, _ in node.value if key.tag != _MERGE_TAG}
        if len(own) != len(node.value):
            # Merged pairs are put first, so the mapping's own keys win, as YAML says.
            self.loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.bad_keys.append((loc, line))
                continue
            key = str(key_node.value)
            if id(key_node) in own:
                if key in first_line:
                    self.duplicates.append(((*loc, key), line, first_line[key]))
                    continue
                first_line[key] = line
            self.doc.lines[(*loc, key)] = line
            result[key] = self.build(value_node, (*loc, key))
        return result


def _decode(file: str, raw: bytes) -> str | Problem:
    if b"\x00" in raw:
        return Problem(file, 1, "not a text file (it contains NUL bytes); expected YAML")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Problem(file, line, f"not UTF-8 text (invalid byte at offset {exc.start})")
    if not text.strip():
        return Problem(file, 1, "the file is empty")
    return text


def _yaml_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    # An error "at the end of the stream" is past the last line: report the last line.
    last = text.count("\n") + (0 if text.endswith("\n") else 1)
    line = min(mark.line + 1, last) if mark is not None else 1
    problem = exc.problem or "cannot be parsed"
    if "'\\t'" in problem:
        return Problem(file, line, "invalid YAML: tab character; YAML indents with spaces only")
    if not exc.context:
        return Problem(file, line, f"invalid YAML: {problem}")
    context = exc.context
    if exc.context_mark is not None and exc.context_mark.line + 1 != line:
        context += f" at line {exc.context_mark.line + 1}"
    # PyYAML splits some messages as "expected X" + "but found Y": put them back in order.
    if problem.startswith("but "):
        return Problem(file, line, f"invalid YAML: {context}, {problem}")
    return Problem(file, line, f"invalid YAML: {problem} ({context})")


def _compose_with(
    loader_class: type[_Loader], file: str, text: str
) -> tuple[Document | None, list[Problem]]:
    """Compose and build ``text``; raises ``MarkedYAMLError`` when it is not valid YAML."""
    loader = loader_class(text)
    doc = Document(file, None)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, [Problem(file, 1, "the file is empty (only comments)")]
        builder = _Builder(loader, doc)
        doc.data = builder.build(root, ())
    except (_TooBig, RecursionError):
        return None, [Problem(file, 1, "too large or too deeply nested (aliases expanding?)")]
    finally:
        loader.dispose()
    problems = [
        Problem(
            file,
            line,
            with_path(field_path(doc.data, loc), f"duplicate key, first at line {first}"),
        )
        for loc, line, first in builder.duplicates
    ]
    problems += [
        Problem(file, line, with_path(field_path(doc.data, loc), "a key must be a plain name"))
        for loc, line in builder.bad_keys
    ]
    problems += [
        Problem(
            file, line, with_path(field_path(doc.data, loc), "not a valid date or time; quote it")
        )
        for loc, line in builder.bad_values
    ]
    return doc, problems


def _compose(file: str, text: str) -> tuple[Document | None, list[Problem]]:
    try:
        return _compose_with(_FAST_LOADER, file, text)
    except yaml.MarkedYAMLError:
        pass  # parsed again below, so that the message is in PyYAML's words on every machine
    try:
        return _compose_with(yaml.SafeLoader, file, text)
    except yaml.MarkedYAMLError as exc:
        return None, [_yaml_problem(file, text, exc)]


def read_document(path: Path, file: str) -> tuple[Document | None, list[Problem]]:
    """Parse ``path`` (shown as ``file`` in problems) into a :class:`Document` and its problems.

    The document is None when the file cannot be read as YAML at all. Duplicate keys are
    reported but the document is still returned (keeping the first value), so that the rest
    of the file is checked in the same run.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(file, 1, f"cannot read: {(exc.strerror or str(exc)).lower()}")]
    text = _decode(file, raw)
    if isinstance(text, Problem):
        return None, [text]
    return _compose(file, text)
