"""Writing files whole: a reader (Prometheus reloading its rules, Alertmanager its
configuration) never sees half of one, and a private file is never readable by others."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from netwarden.errors import NetwardenError


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` with ``mode``, replacing it whole."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        # mkstemp creates the file 0600 from the start: a private text is never readable by
        # others, not even for a moment before the chmod below.
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise NetwardenError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise NetwardenError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, replacing it whole."""
    write_atomic(path, text, 0o600)
