"""Where configuration backups keep their files, whoever runs them (the agent or an admin's
``netwarden config``). Light on purpose: the command line declares these for ``--help``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

DEFAULT_STORE: Final = Path("/var/lib/netwarden/configs")
STORE_ENV: Final = "NETWARDEN_CONFIG_STORE"


def store_path(option: Path | None) -> Path:
    """Where the store is: ``option`` (``--store``/``--config-store``), else
    ``$NETWARDEN_CONFIG_STORE``, else ``/var/lib/netwarden/configs``."""
    if option is not None:
        return option
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)
