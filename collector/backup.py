"""``collector backup`` / ``restore``: the store dump, the TLS material and the evidence in one tar.

The store writes its dump from one read transaction (SQLite WAL, PostgreSQL REPEATABLE READ),
so a backup taken while the collector runs is consistent. The tar holds the CA key: it is
written 0600, and restoring it is what lets enrolled agents (which pinned that CA) trust a
rebuilt collector.

Layout: ``netwarden-backup.json`` (format, time, CA fingerprint), ``store.dump`` (the store's
own portable format), ``tls/...``, ``evidence/...``.
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
from typing import Any, BinaryIO, cast

from netwarden.collector.store import Store
from netwarden.collector.tls import existing_ca_sha256
from netwarden.errors import NetwardenError

MANIFEST = "netwarden-backup.json"
DUMP = "store.dump"
FORMAT = 1
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
    tar.add(root, arcname=name)
    return sum(1 for p in root.rglob("*") if p.is_file())


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
            partial.replace(dest)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    return BackupSummary(dest, size, files, fingerprint)


def _manifest(tar: tarfile.TarFile, src: Path) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        raise BackupError(f"{src} is not a netwarden collector backup (no {MANIFEST})") from None
    manifest: dict[str, Any] = json.load(member) if member else {}
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: backup format {manifest.get('format')!r} is not {FORMAT}")
    return manifest


def _check_member(member: tarfile.TarInfo, src: Path) -> None:
    """Only plain files and folders under a relative path: nothing may land outside data_dir."""
    parts = Path(member.name).parts
    if Path(member.name).is_absolute() or ".." in parts or not (member.isfile() or member.isdir()):
        raise BackupError(f"{src}: refusing {member.name!r} (not a plain file under the data dir)")


def restore(
    store: Store, data_dir: Path, src: Path, *, replace: bool, actor: str
) -> dict[str, Any]:
    """Load the backup at ``src`` into ``store`` and ``data_dir``; returns its manifest.

    The store refuses to restore over a non-empty store unless ``replace``. The TLS material
    of the backup replaces the data directory's: agents pinned the backed-up CA.
    """
    try:
        with tarfile.open(src, mode="r") as tar:
            manifest = _manifest(tar, src)
            dump = tar.extractfile(DUMP)
            if dump is None:
                raise BackupError(f"{src}: no {DUMP} in the backup")
            store.restore(cast(BinaryIO, dump), replace=replace, actor=actor, now=time.time())
            members = [m for m in tar.getmembers() if m.name.split("/", 1)[0] in DIRS]
            for member in members:
                _check_member(member, src)
            data_dir.mkdir(parents=True, exist_ok=True)
            # tarfile's "data" filter (refusing absolute paths, "..", links and devices) came
            # in Python 3.11.4; Debian 12 ships 3.11.2, hence _check_member as well.
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(data_dir, members=members, **safe)  # type: ignore[arg-type]  # noqa: S202
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot read the backup {src}: {exc}") from exc
    return manifest
