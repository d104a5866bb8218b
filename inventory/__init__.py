"""The province inventory: sites, devices, links, services, credentials, agents.

Load it with :func:`load_inventory`; the model classes are in :mod:`netwarden.inventory.model`
and the file format is described in ``docs/inventory.md``.
"""

# From the repository root this folder is also a top-level module, whose import would load a
# second copy of every module (two registries, two exception classes): refuse it at once.
if __name__ != "netwarden.inventory":
    raise ImportError(
        f"import netwarden.inventory, not {__name__}: inventory/ is part of the netwarden package"
    )

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
