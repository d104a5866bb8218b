"""Evidence files, content-addressed by SHA-256 under the collector's ``<data-dir>/evidence``.

A file goes to ``evidence/sha256/<first two hex>/<sha256>``: written to ``evidence/tmp/`` while
it is hashed, flushed to disk, then renamed into place, so a crash never leaves a half file
under a hash. The same content attached twice is stored once. Reading re-hashes the file and
refuses one that no longer matches. ``collector backup``/``restore`` carry the directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from netwarden.collector.incidents.errors import EvidenceCorruptError, IncidentError

MAX_SIZE = 64 * 1024 * 1024  # per file: command output, configs, captures, screenshots
CHUNK = 1024 * 1024


class EvidenceTooLarge(IncidentError):
    """The file is over ``MAX_SIZE`` (the API answers 413)."""

    status = 413


class EvidenceWriter:
    """One file being received: ``write`` chunks, then ``finish`` (or ``abort``)."""

    def __init__(self, files: EvidenceFiles, limit: int) -> None:
        self._files, self._limit = files, limit
        tmp = files.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(dir=tmp, prefix="upload-")
        self._path = Path(name)
        self._out: BinaryIO = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        """Add a chunk (``EvidenceTooLarge`` past the limit; the partial file is removed)."""
        self.size += len(chunk)
        if self.size > self._limit:
            self.abort()
            raise EvidenceTooLarge(f"evidence is larger than {self._limit // (1024 * 1024)} MiB")
        self._hash.update(chunk)
        self._out.write(chunk)

    def finish(self) -> tuple[str, int]:
        """Flush, move into place under its hash; returns (sha256, size)."""
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        digest = self._hash.hexdigest()
        dest = self._files.path(digest)
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(self._path, dest)  # same content, same name: replacing changes nothing
        _fsync_dir(dest.parent)
        return digest, self.size

    def abort(self) -> None:
        """Drop the partial file."""
        with contextlib.suppress(OSError):
            self._out.close()
        self._path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EvidenceFiles:
    """The evidence directory of one collector."""

    def __init__(self, root: Path, *, limit: int = MAX_SIZE) -> None:
        self.root = root
        self.limit = limit

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives."""
        return self.root / "sha256" / sha256[:2] / sha256

    def writer(self) -> EvidenceWriter:
        """Start receiving a file."""
        return EvidenceWriter(self, self.limit)

    def save_bytes(self, data: bytes) -> tuple[str, int]:
        """Store ``data`` at once (agents' command output); returns (sha256, size)."""
        w = self.writer()
        try:
            w.write(data)
        except BaseException:
            w.abort()
            raise
        return w.finish()

    def verified(self, sha256: str, size: int) -> Path:
        """The file's path after re-hashing it; ``EvidenceCorruptError`` if missing or changed."""
        path = self.path(sha256)
        digest = hashlib.sha256()
        seen = 0
        try:
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
                    seen += len(chunk)
        except FileNotFoundError:
            missing = f"evidence file {sha256} is missing from {self.root}"
            raise EvidenceCorruptError(missing) from None
        if digest.hexdigest() != sha256 or seen != size:
            raise EvidenceCorruptError(
                f"evidence file {sha256} no longer matches its SHA-256 "
                f"(now {digest.hexdigest()}, {seen} bytes): it was changed on disk"
            )
        return path

    def remove(self, sha256: str) -> bool:
        """Delete a file no evidence refers to any more; True if it was there."""
        path = self.path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only when empty
        return True
