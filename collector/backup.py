"""``collector backup``: the store dump, the TLS material and the evidence in one tar.

The store writes its dump from one read transaction (SQLite WAL, PostgreSQL REPEATABLE READ),
so a backup taken while the collector runs is consistent. The tar holds the CA key: it is
written 0600, and restoring it (restore.py) is what lets enrolled agents (which pinned that
CA) trust a rebuilt collector.

Layout: ``netwarden-backup.json`` (format, time, CA fingerprint), ``store.dump`` (the store's
own portable format), ``tls/...``, ``evidence/...``.

A backup is taken only of a collector that is there: the data directory must exist and hold
the collector's files, and the store is opened as it is (``open_existing_store``), so a
mistyped ``--data-dir`` is refused instead of creating an empty store and backing that up.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from netwarden.collector.store import Store
from netwarden.collector.tls import existing_ca_sha256
from netwarden.errors import NetwardenError, UsageError

MANIFEST = "netwarden-backup.json"
DUMP = "store.dump"
END = "netwarden-backup.end"  # written last: a backup without it was cut short
# 2: the END member (its file count) closes the archive. Format 1 backups (no END) still
# restore; a restore then cannot tell whether files at the end are missing.
FORMAT = 2
READABLE_FORMATS = (1, 2)
DIRS = ("tls", "evidence")


class BackupError(NetwardenError):
    """A backup could not be written, or a file is not a collector backup."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds (printed by the CLI)."""

    path: Path
    store_bytes: int
    files: int
    ca_sha256: str | None


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    tar.addfile(info, io.BytesIO(data))


def _add_dir(tar: tarfile.TarFile, data_dir: Path, name: str) -> int:
    root = data_dir / name
    if not root.is_dir():
        info = tarfile.TarInfo(name)  # an empty directory, so a restore recreates it
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o700, int(time.time())
        tar.addfile(info)
        return 0
    added = 0

    def count(info: tarfile.TarInfo) -> tarfile.TarInfo:
        nonlocal added
        added += info.isfile()
        return info

    # Counted as added, not by a second look: evidence may arrive while the backup runs.
    tar.add(root, arcname=name, filter=count)
    return added


def check_data_dir(data_dir: Path, *, sqlite: bool) -> None:
    """``UsageError`` unless ``data_dir`` is a collector's: it exists and holds the SQLite
    store (``sqlite``: no ``--db``) or, with PostgreSQL, the collector's ``tls/`` or
    ``evidence/`` (``collector serve`` always makes the latter)."""
    if not data_dir.is_dir():
        raise UsageError(f"--data-dir {data_dir}: no such directory")
    if sqlite and not (data_dir / "collector.db").is_file():
        raise UsageError(
            f"{data_dir} holds no collector (no collector.db): give the collector's --data-dir, "
            "or its --db for PostgreSQL"
        )
    if not sqlite and not any((data_dir / name).is_dir() for name in DIRS):
        raise UsageError(
            f"{data_dir} is not a collector's data directory (no tls/, no evidence/): "
            "give the collector's --data-dir"
        )


def backup(store: Store, data_dir: Path, dest: Path) -> BackupSummary:
    """Write the backup of ``store`` and ``data_dir`` to ``dest`` (atomically, mode 0600)."""
    fingerprint = existing_ca_sha256(data_dir)
    with tempfile.TemporaryFile() as dump:
        store.dump(dump)
        size = dump.tell()
        dump.seek(0)
        partial = dest.with_name(dest.name + ".partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
                manifest = {"format": FORMAT, "created_at": time.time(), "ca_sha256": fingerprint}
                _add_bytes(tar, MANIFEST, json.dumps(manifest).encode())
                info = tarfile.TarInfo(DUMP)
                info.size, info.mtime, info.mode = size, int(time.time()), 0o600
                tar.addfile(info, dump)
                files = sum(_add_dir(tar, data_dir, name) for name in DIRS)
                _add_bytes(tar, END, json.dumps({"files": files}).encode())
            partial.replace(dest)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    return BackupSummary(dest, size, files, fingerprint)
