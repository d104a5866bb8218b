"""``collector restore``: a backup (backup.py) back into a store and a data directory.

The whole file is checked before anything is created (a tar, the manifest, every row of the
dump down to its trailer, paths that stay under the data directory), so a file that is not a
backup, or one cut short, is refused with one line and leaves nothing behind. Should the
restore itself fail after that (a store that is not empty, a database that refuses), what this
run created (the data directory, or the SQLite file) is removed again.

What a restore writes is private to the collector's user: the data directory 0700, every
directory under it 0700, every file 0600 (the store's too, see ``engine.private_sqlite_file``).
Run as root into a data directory owned by the collector's user, it gives what it wrote to
that user, so the service can read it.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, cast

from netwarden.collector.backup import DIRS, DUMP, END, MANIFEST, READABLE_FORMATS, BackupError
from netwarden.collector.store import Store, StoreError, open_store
from netwarden.collector.store import backup as dumps
from netwarden.collector.store.engine import SQLITE_SIDE_FILES, sqlite_path
from netwarden.fs import first_missing


def _manifest(tar: tarfile.TarFile, src: Path) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        raise BackupError(f"{src} is not a netwarden collector backup (no {MANIFEST})") from None
    try:
        manifest = json.load(member) if member else None
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict):
        raise BackupError(f"{src} is not a netwarden collector backup ({MANIFEST} is damaged)")
    if manifest.get("format") not in READABLE_FORMATS:
        raise BackupError(
            f"{src}: backup format {manifest.get('format')!r} is not one this netwarden reads "
            f"({', '.join(map(str, READABLE_FORMATS))})"
        )
    return manifest


def _check_complete(tar: tarfile.TarFile, manifest: dict[str, Any], src: Path) -> None:
    """A backup since format 2 ends with END, naming how many files it holds."""
    if manifest["format"] < 2:
        return
    cut = BackupError(f"{src} is cut short (no {END}): was the backup interrupted?")
    try:
        member = tar.extractfile(END)
    except KeyError:
        raise cut from None
    try:
        expected = json.load(member)["files"] if member else None
    except (ValueError, KeyError, TypeError):
        expected = None
    found = sum(1 for m in tar.getmembers() if m.isfile() and m.name.split("/", 1)[0] in DIRS)
    if expected != found:
        raise BackupError(
            f"{src} is damaged: {END} names {expected} files, the archive has {found}"
        )


def _check_member(member: tarfile.TarInfo, src: Path) -> None:
    """Only plain files and folders under a relative path: nothing may land outside data_dir."""
    parts = Path(member.name).parts
    if Path(member.name).is_absolute() or ".." in parts or not (member.isfile() or member.isdir()):
        raise BackupError(f"{src}: refusing {member.name!r} (not a plain file under the data dir)")


@contextmanager
def _open(src: Path) -> Iterator[tarfile.TarFile]:
    """The backup as a tar; every way of not being one is one line naming the file."""
    try:
        # A backup gzip'ed for storage reads too. Closed by the `with` below.
        tar = tarfile.open(src, mode="r:*")  # noqa: SIM115
    except tarfile.ReadError:
        # tarfile's own message lists every compression it tried, one line each.
        raise BackupError(f"{src} is not a netwarden collector backup (not a tar file)") from None
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot read the backup {src}: {exc}") from exc
    try:
        with tar:
            yield tar
    except (tarfile.ReadError, EOFError) as exc:
        raise BackupError(
            f"{src} is cut short or damaged ({exc}): was the backup interrupted?"
        ) from exc
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot read the backup {src}: {exc}") from exc


def _members(tar: tarfile.TarFile, src: Path) -> list[tarfile.TarInfo]:
    members = [m for m in tar.getmembers() if m.name.split("/", 1)[0] in DIRS]
    for member in members:
        _check_member(member, src)
    return members


def verify(src: Path) -> dict[str, Any]:
    """Read the whole backup at ``src`` without writing anything; its manifest, or
    ``BackupError`` saying what is wrong (not a backup, cut short, another schema)."""
    with _open(src) as tar:
        manifest = _manifest(tar, src)
        try:
            dump = tar.extractfile(DUMP)
        except KeyError:
            dump = None
        if dump is None:
            raise BackupError(f"{src}: no {DUMP} in the backup")
        _check_complete(tar, manifest, src)
        try:
            dumps.check(cast(BinaryIO, dump))
        except StoreError as exc:
            raise BackupError(f"{src}: {exc}") from exc
        _members(tar, src)
    return manifest


def restore(
    store: Store, data_dir: Path, src: Path, *, replace: bool, actor: str
) -> dict[str, Any]:
    """Load the backup at ``src`` into ``store`` and ``data_dir``; returns its manifest.

    The store refuses to restore over a non-empty store unless ``replace``. The TLS material
    of the backup replaces the data directory's: agents pinned the backed-up CA.
    """
    with _open(src) as tar:
        manifest = _manifest(tar, src)
        dump = tar.extractfile(DUMP)
        if dump is None:
            raise BackupError(f"{src}: no {DUMP} in the backup")
        store.restore(cast(BinaryIO, dump), replace=replace, actor=actor, now=time.time())
        members = _members(tar, src)
        # tarfile's "data" filter (refusing absolute paths, "..", links and devices) came
        # in Python 3.11.4; Debian 12 ships 3.11.2, hence _check_member as well.
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(data_dir, members=members, **safe)  # type: ignore[arg-type]  # noqa: S202
    return manifest


def make_private(data_dir: Path) -> None:
    """The data directory and everything in it for the collector's user only (see above)."""
    os.chmod(data_dir, 0o700)
    owner = data_dir.stat()
    give = os.geteuid() == 0 and owner.st_uid != 0
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            os.chmod(Path(root, name), 0o700)
        for name in files:
            os.chmod(Path(root, name), 0o600)
        if give:
            for name in [*dirs, *files]:
                os.chown(Path(root, name), owner.st_uid, owner.st_gid, follow_symlinks=False)


def restore_backup(
    db_url: str, data_dir: Path, src: Path, *, replace: bool, actor: str
) -> dict[str, Any]:
    """The whole ``collector restore``: check the file, then restore it into the store at
    ``db_url`` and ``data_dir``; on any failure, remove what this run created."""
    verify(src)
    created = first_missing(data_dir)
    database = sqlite_path(db_url)
    new_database = database is not None and not database.exists()
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        store = open_store(db_url)
        try:
            manifest = restore(store, data_dir, src, replace=replace, actor=actor)
        finally:
            store.close()
        make_private(data_dir)
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        elif new_database and database is not None:
            for suffix in ("", *SQLITE_SIDE_FILES):
                database.with_name(database.name + suffix).unlink(missing_ok=True)
        raise
    return manifest
