"""The configuration store: one git repository, one ``<device>.cfg`` per device.

A backup commits only when the (normalised) configuration changed, with the fetch time as the
commit time and ``backup <device> <ISO time>`` as the message, so ``git log`` is the list of
changes. The time of every backup, changed or not, is kept beside the repository in
``state.json`` (ignored by git: a backup that found nothing new must not add a commit). Every
write holds an exclusive ``flock`` on ``.lock`` (the agent and an admin's CLI may write at the
same time); reads hold it shared.
"""

from __future__ import annotations

import json
import logging
import os
import re
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from netwarden.agent.configs.gitrepo import LOCK_NAME, git, locked
from netwarden.agent.configs.revisions import ConfigDiff
from netwarden.config_diff import Revision, render_diff
from netwarden.errors import NetwardenError, UsageError
from netwarden.inventory.ids import ID_PATTERN

log = logging.getLogger(__name__)

STATE_NAME: Final = "state.json"
_ID: Final = re.compile(ID_PATTERN)
_IGNORED: Final = f"/{LOCK_NAME}\n/{STATE_NAME}\n/{STATE_NAME}.tmp\n"


class NeverBackedUp(NetwardenError):
    """The store holds no backup of the device."""


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What a save did: ``commit`` holds the device's configuration now; ``previous_commit``
    held it before this save (the same commit when nothing changed, None on the first)."""

    changed: bool
    commit: str
    previous_commit: str | None


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """The state file's entry of a device (unix times)."""

    last_backup: float
    last_change: float
    commit: str


class ConfigStore:
    """The git-backed store at ``path`` (created on the first save)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, device: str, text: str, fetched_at: datetime) -> SaveResult:
        """Store ``text`` (already normalised) as ``device``'s configuration fetched at
        ``fetched_at``; commit only if it differs from the stored one."""
        name = _file(device)
        if fetched_at.tzinfo is None:  # git needs an offset: read a naive time as local time
            fetched_at = fetched_at.astimezone()
        with locked(self.path):
            self._init()
            previous = self._last_commit(name) or None
            (self.path / name).write_text(text, encoding="utf-8")
            changed = bool(git(self.path, "status", "--porcelain", "--", name).strip())
            if changed:
                stamp = fetched_at.isoformat(timespec="seconds")
                when = f"{int(fetched_at.timestamp())} {fetched_at.strftime('%z')}"
                git(self.path, "add", "--", name)
                git(
                    self.path,
                    "commit",
                    "-q",
                    "-m",
                    f"backup {device} {stamp}",
                    "--",
                    name,
                    env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when},
                )
            commit = self._last_commit(name)
            self._record(device, fetched_at.timestamp(), changed, commit)
        return SaveResult(changed, commit, previous)

    def history(self, device: str) -> list[Revision]:
        """The backups that changed ``device``'s configuration, newest first."""
        name = _file(device)
        with self._reading(device):
            out = git(self.path, "log", "--format=%H %cI", "--", name)
        return [
            Revision(c, datetime.fromisoformat(t))
            for c, t in (ln.split() for ln in out.splitlines())
        ]

    def show(self, device: str, rev: str) -> str:
        """``device``'s configuration as stored at revision ``rev``."""
        with self._reading(device):
            return git(self.path, "show", f"{self._at(device, rev).commit}:{_file(device)}")

    def compare(
        self, device: str, from_rev: str | None = None, to_rev: str | None = None
    ) -> ConfigDiff:
        """The change between two backups of ``device``: by default its last change (the
        backup before it to the latest one); ``to_rev`` alone: the change that made the
        configuration at that revision; a first backup compares with nothing."""
        name = _file(device)
        with self._reading(device):
            to = self._at(device, to_rev or "HEAD")
            if from_rev is not None:
                before: Revision | None = self._at(device, from_rev)
            else:
                older = git(self.path, "log", "-2", "--format=%H", to.commit, "--", name).split()
                before = self._revision(older[1]) if len(older) > 1 else None
            old = git(self.path, "show", f"{before.commit}:{name}") if before else ""
            new = git(self.path, "show", f"{to.commit}:{name}")
        return ConfigDiff(device, before, to, render_diff(name, old, new, before, to))

    def diff(self, device: str, from_rev: str | None = None, to_rev: str | None = None) -> str:
        """:meth:`compare` as a unified diff with commit times in the header ("" if equal)."""
        return self.compare(device, from_rev, to_rev).text

    def records(self) -> dict[str, DeviceRecord]:
        """Every device's last backup and last change (empty before the first backup)."""
        try:
            raw = json.loads((self.path / STATE_NAME).read_text(encoding="utf-8"))
            return {device: DeviceRecord(**entry) for device, entry in raw.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError) as exc:
            log.warning("config store %s: unreadable %s (%s)", self.path, STATE_NAME, exc)
            return {}

    def _init(self) -> None:
        if (self.path / ".git").is_dir():
            return
        git(self.path, "init", "-q")
        (self.path / ".gitignore").write_text(_IGNORED, encoding="utf-8")
        git(self.path, "add", ".gitignore")
        git(self.path, "commit", "-q", "-m", "netwarden configuration store")

    def _reading(self, device: str) -> AbstractContextManager[None]:
        # Checked before locking: a reader must not create a store where there is none.
        if not (self.path / ".git").is_dir() or not self._last_commit(_file(device)):
            raise NeverBackedUp(f"no backup of {device} in the store {self.path}")
        return locked(self.path, exclusive=False)

    def _last_commit(self, name: str) -> str:
        # check=False: a repository without commits yet has no log.
        return git(self.path, "log", "-1", "--format=%H", "--", name, check=False).strip()

    def _revision(self, commit: str) -> Revision:
        time = git(self.path, "log", "-1", "--format=%cI", commit).strip()
        return Revision(commit, datetime.fromisoformat(time))

    def _at(self, device: str, rev: str) -> Revision:
        """The commit that made ``device``'s configuration as it was at ``rev``."""
        if rev.startswith("-"):  # never let a revision pass as an option
            raise UsageError(f"no revision {rev!r} in the store {self.path}")
        wanted = f"{rev}^{{commit}}"
        commit = git(self.path, "rev-parse", "--verify", "--quiet", wanted, check=False).strip()
        if not commit:
            raise UsageError(f"no revision {rev!r} in the store {self.path}")
        made = git(self.path, "log", "-1", "--format=%H", commit, "--", _file(device)).strip()
        if not made:
            raise UsageError(f"no backup of {device} at or before revision {rev!r}")
        return self._revision(made)

    def _record(self, device: str, when: float, changed: bool, commit: str) -> None:
        records = self.records()
        old = records.get(device)
        if changed or old is None:
            # A lost state file is rebuilt from git: the last change is the last commit's time.
            last_change = when if changed else self._revision(commit).time.timestamp()
        else:
            last_change = old.last_change
        records[device] = DeviceRecord(when, last_change, commit)
        tmp = self.path / f"{STATE_NAME}.tmp"
        tmp.write_text(json.dumps({d: asdict(r) for d, r in sorted(records.items())}, indent=1))
        os.replace(tmp, self.path / STATE_NAME)  # atomic: a reader never sees half a file


def _file(device: str) -> str:
    # The device id becomes a file name: refuse anything that is not an inventory id (a path).
    if not _ID.fullmatch(device):
        raise UsageError(f"{device!r} is not a device id")
    return f"{device}.cfg"
