"""Writing a file only its owner can read, atomically (a reader never sees half of it)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from netwarden.errors import NetwardenError


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, replacing it whole."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        # mkstemp creates the file 0600 from the start: the text is never readable by others,
        # not even for a moment before a chmod.
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise NetwardenError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise NetwardenError(f"cannot write {path}: {exc.strerror or exc}") from exc
