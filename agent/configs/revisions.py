"""The change between two revisions of a device's stored configuration. A revision and the
diff's text are the core's (``netwarden/config_diff.py``), shared with the collector."""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.config_diff import Revision


@dataclass(frozen=True, slots=True)
class ConfigDiff:
    """The change from ``before`` (None: nothing, a first backup) to ``after``."""

    device: str
    before: Revision | None
    after: Revision
    text: str  # unified diff; "" when both revisions hold the same configuration
