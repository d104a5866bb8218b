"""The province inventory: sites, devices, links, services, credentials, agents.

Load it with :func:`load_inventory`; the model classes are in :mod:`netwarden.inventory.model`
and the file format is described in ``docs/inventory.md``.
"""

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
