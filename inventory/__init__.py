"""The province inventory: sites, devices, links, services, credentials, agents.

Load it with :func:`load_inventory`; the model classes are in :mod:`netwarden.inventory.model`
and the file format is described in ``docs/inventory.md``.

The names below are imported on first use (PEP 562): importing a light module of this
package (``fields``, ``inventory_commands``) must not build every pydantic model first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# From the repository root this folder is also a top-level module, whose import would load a
# second copy of every module (two registries, two exception classes): refuse it at once.
if __name__ != "netwarden.inventory":
    raise ImportError(
        f"import netwarden.inventory, not {__name__}: inventory/ is part of the netwarden package"
    )

if TYPE_CHECKING:
    from netwarden.inventory.loader import load_inventory
    from netwarden.inventory.model import (
        Agent,
        Credential,
        Device,
        Inventory,
        Link,
        Service,
        Site,
    )

_WHERE = {"load_inventory": "netwarden.inventory.loader"} | dict.fromkeys(
    ("Agent", "Credential", "Device", "Inventory", "Link", "Service", "Site"),
    "netwarden.inventory.model",
)

__all__ = [
    "Agent",
    "Credential",
    "Device",
    "Inventory",
    "Link",
    "Service",
    "Site",
    "load_inventory",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
