"""Small file-system helpers shared by the agent and the collector."""

from __future__ import annotations

from pathlib import Path


def first_missing(path: Path) -> Path | None:
    """The outermost of ``path`` and its parents that does not exist (None if ``path`` does).

    What a ``mkdir(parents=True)`` of ``path`` would create starts there, so removing it undoes
    that mkdir and no more.
    """
    missing = None
    for each in (path, *path.parents):
        if each.exists():
            break
        missing = each
    return missing
