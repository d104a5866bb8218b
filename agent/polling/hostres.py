"""HOST-RESOURCES-MIB for hosts: storage (hrStorageTable) and per-CPU load (hrProcessorLoad)."""

from __future__ import annotations

from typing import Final

from netwarden.agent.polling.ifmib import Walk, column_ints, column_texts, column_values
from netwarden.agent.polling.snapshot import StorageSample
from netwarden.agent.snmp.types import Oid, format_oid

HR_STORAGE_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1)
HR_STORAGE_TYPE: Final[Oid] = (*HR_STORAGE_ENTRY, 2)
HR_STORAGE_DESCR: Final[Oid] = (*HR_STORAGE_ENTRY, 3)
HR_STORAGE_ALLOCATION_UNITS: Final[Oid] = (*HR_STORAGE_ENTRY, 4)
HR_STORAGE_SIZE: Final[Oid] = (*HR_STORAGE_ENTRY, 5)
HR_STORAGE_USED: Final[Oid] = (*HR_STORAGE_ENTRY, 6)
HR_STORAGE_COLUMNS: Final[tuple[Oid, ...]] = (
    HR_STORAGE_TYPE,
    HR_STORAGE_DESCR,
    HR_STORAGE_ALLOCATION_UNITS,
    HR_STORAGE_SIZE,
    HR_STORAGE_USED,
)
HR_PROCESSOR_LOAD: Final[Oid] = (1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2)  # indexed by hrDeviceIndex
HR_PROCESSOR_COLUMNS: Final[tuple[Oid, ...]] = (HR_PROCESSOR_LOAD,)


def parse_storage(walk: Walk) -> list[StorageSample]:
    """A walk of :data:`HR_STORAGE_COLUMNS` -> one row per hrStorageIndex that has the three
    numbers (a row without them cannot be turned into bytes); sorted by index."""
    units = column_ints(walk, HR_STORAGE_ALLOCATION_UNITS)
    size = column_ints(walk, HR_STORAGE_SIZE)
    used = column_ints(walk, HR_STORAGE_USED)
    descr = column_texts(walk, HR_STORAGE_DESCR)
    types = {
        i: format_oid(v)
        for i, v in column_values(walk, HR_STORAGE_TYPE).items()
        if isinstance(v, tuple)
    }
    return [
        StorageSample(i, descr.get(i, ""), types.get(i, ""), units[i], size[i], used[i])
        for i in sorted(units.keys() & size.keys() & used.keys())
    ]


def parse_processor_load(walk: Walk) -> dict[int, int]:
    """A walk of :data:`HR_PROCESSOR_LOAD` -> hrDeviceIndex -> load percent (last minute)."""
    return dict(sorted(column_ints(walk, HR_PROCESSOR_LOAD).items()))
