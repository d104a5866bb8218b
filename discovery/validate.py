"""Proof that a fragment is valid: merged with the current inventory, it loads without problems.

The fragment goes through the same loader as any inventory file (YAML, strict models,
references, unique ids and addresses), from a temporary file; problems name it
``<proposed fragment>`` rather than the temporary path.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from netwarden.inventory.loader import check
from netwarden.inventory.model import Inventory

FRAGMENT_NAME = "<proposed fragment>"


def merged_check(paths: Sequence[Path], fragment: str) -> tuple[Inventory | None, list[str]]:
    """Load ``paths`` plus ``fragment`` (YAML text) as one inventory: the merged inventory,
    or None and every problem, one ``PATH:LINE: message`` line each."""
    with tempfile.TemporaryDirectory(prefix="nw-discover-") as tmp:
        file = Path(tmp) / "fragment.yaml"
        file.write_text(fragment, encoding="utf-8")
        inventory, problems = check([*paths, file])
    return inventory, [line.replace(str(file), FRAGMENT_NAME) for line in problems]
