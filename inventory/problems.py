"""Problems found in an inventory, and the field paths that name where they are.

Every problem is printed as ``PATH:LINE: message``. Inside the message a field path names the
field: list items are addressed by their ``id`` (``devices[sw-so-khcn-core].snmp.port``) and,
when an item has no usable id, by their 0-based position in their own file (``devices[3]``);
mapping entries use dots (``credentials.snmp-lab-v3.snmp.auth.secret``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Loc = tuple[str | int, ...]
"""A path into the inventory data: mapping keys (str) and list positions (int)."""

# The same shape as model.ID_PATTERN; kept here so labels never depend on the model module.
_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,62}$")


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One problem at one place. Ordering (file, line, message) is the order they are printed."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem located by a data path, before the path is turned into ``file:line``.

    ``related`` points at another place involved (the first of two duplicates); it is shown as
    ``(first at FILE:LINE)`` after the message.
    """

    loc: Loc
    message: str
    related: Loc | None = None


def render(problems: Iterable[Problem]) -> list[str]:
    """The problems as printed lines, sorted by file, then line, then message, without repeats."""
    return [str(p) for p in sorted(set(problems))]


def item_label(item: Any, position: int) -> str:
    """How a list item is named in a field path: its id when usable, else its position."""
    if isinstance(item, Mapping):
        ident = item.get("id")
        if isinstance(ident, str) and _LABEL.match(ident):
            return ident
    return str(position)


def field_path(data: Any, loc: Loc, positions: Mapping[Loc, int] | None = None) -> str:
    """Render ``loc`` as a field path, looking list items up in ``data`` for their ids.

    ``positions`` maps a merged list item's loc to its position in its own file, so that an
    item without an id is named by where it is in the file the reader will open.
    """
    text = ""
    node: Any = data
    for depth, key in enumerate(loc):
        if isinstance(key, int):
            item = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            own = (positions or {}).get(loc[: depth + 1], key)
            text += f"[{item_label(item, own)}]"
            node = item
        else:
            text += f".{key}" if text else key
            node = node.get(key) if isinstance(node, Mapping) else None
    return text


def with_path(path: str, message: str) -> str:
    """Prefix a message with the field path it concerns (no prefix for whole-file problems)."""
    return f"{path}: {message}" if path else message
