"""A configuration revision (a commit and its time) and the unified diff between two.

In the core because two areas render the same diff: the agent's git store (``netwarden config
diff``) and the collector's copy of every device's history (``config diff --collector``, the
API's diff route), and an admin must see the same text from both.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Revision:
    """A commit of the store that changed a device's configuration, and its (fetch) time."""

    commit: str
    time: datetime

    def as_dict(self) -> dict[str, str]:
        return {"commit": self.commit, "time": self.time.isoformat()}


def render_diff(name: str, old: str, new: str, before: Revision | None, after: Revision) -> str:
    """``diff -u`` of ``old`` and ``new``, each header naming the commit and its time."""
    from_file = f"{name}@{before.commit[:12]}" if before else "/dev/null"
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=from_file,
        tofile=f"{name}@{after.commit[:12]}",
        fromfiledate=before.time.isoformat() if before else "",
        tofiledate=after.time.isoformat(),
    )
    # A last line without a newline would glue onto the next one: end every line.
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
