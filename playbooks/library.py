"""The playbooks a collector runs: the built-in ones and the province's own directory.

A province playbook with the id of a built-in one replaces it (a province tunes a built-in by
copying it into its directory and editing the copy); the collector logs each replacement.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from netwarden.errors import ConfigError
from netwarden.playbooks.loader import Loaded, builtin, check

log = logging.getLogger("netwarden.playbooks")


class Library:
    """Playbooks by id, in a stable order (built-ins first, then the province's by file)."""

    def __init__(self, playbooks: Iterable[Loaded]) -> None:
        self._by_id: dict[str, Loaded] = {}
        for loaded in playbooks:
            self._by_id[loaded.playbook.id] = loaded

    def get(self, playbook_id: str) -> Loaded | None:
        return self._by_id.get(playbook_id)

    def all(self) -> list[Loaded]:
        return list(self._by_id.values())

    def matching(self, labels: Mapping[str, str]) -> list[Loaded]:
        """The playbooks an alert with ``labels`` starts, in library order."""
        return [p for p in self._by_id.values() if p.playbook.matches(dict(labels))]


def load_library(province_dirs: Iterable[Path] = ()) -> Library:
    """The built-ins plus the playbooks of ``province_dirs``; ``ConfigError`` with every
    problem when a province playbook is invalid (the collector does not start with it)."""
    found = builtin()
    dirs = list(province_dirs)
    if dirs:
        checked = check(dirs)
        if checked.problems:
            raise ConfigError("the playbooks", checked.problems)
        ours = {p.playbook.id for p in found}
        for loaded in checked.playbooks:
            if loaded.playbook.id in ours:
                log.info(
                    "playbook %s of %s replaces the built-in one", loaded.playbook.id, loaded.file
                )
        replaced = {p.playbook.id for p in checked.playbooks}
        found = [p for p in found if p.playbook.id not in replaced] + checked.playbooks
    return Library(found)
