"""HOST-RESOURCES mapping: hrStorageTable rows and hrProcessorLoad."""

from __future__ import annotations

from netwarden.agent.polling import hostres
from netwarden.agent.polling.snapshot import StorageSample
from netwarden.agent.snmp.types import Oid, Tag, Value, VarBind, parse_oid

HR_STORAGE_FIXED_DISK = (1, 3, 6, 1, 2, 1, 25, 2, 1, 4)
HR_STORAGE_RAM = (1, 3, 6, 1, 2, 1, 25, 2, 1, 2)


def walk_of(
    cells: dict[Oid, tuple[Tag, Value]], roots: tuple[Oid, ...]
) -> dict[Oid, list[VarBind]]:
    return {
        root: [
            VarBind(oid, tag, value)
            for oid, (tag, value) in sorted(cells.items())
            if oid[: len(root)] == root
        ]
        for root in roots
    }


def storage_row(
    index: int, kind: Oid, descr: bytes, *, units: int, size: int, used: int
) -> dict[Oid, tuple[Tag, Value]]:
    entry = hostres.HR_STORAGE_ENTRY
    return {
        (*entry, 2, index): (Tag.OBJECT_IDENTIFIER, kind),
        (*entry, 3, index): (Tag.OCTET_STRING, descr),
        (*entry, 4, index): (Tag.INTEGER, units),
        (*entry, 5, index): (Tag.INTEGER, size),
        (*entry, 6, index): (Tag.INTEGER, used),
    }


def test_oids() -> None:
    expected = tuple(parse_oid(f"1.3.6.1.2.1.25.2.3.1.{c}") for c in (2, 3, 4, 5, 6))
    assert expected == hostres.HR_STORAGE_COLUMNS
    assert parse_oid("1.3.6.1.2.1.25.3.3.1.2") == hostres.HR_PROCESSOR_LOAD


def test_storage_rows() -> None:
    cells = {
        **storage_row(31, HR_STORAGE_FIXED_DISK, b"/", units=4096, size=2_000_000, used=500_000),
        **storage_row(
            1, HR_STORAGE_RAM, "Bộ nhớ".encode(), units=1024, size=16_000_000, used=9_000_000
        ),
    }
    rows = hostres.parse_storage(walk_of(cells, hostres.HR_STORAGE_COLUMNS))
    assert rows == [
        StorageSample(1, "Bộ nhớ", "1.3.6.1.2.1.25.2.1.2", 1024, 16_000_000, 9_000_000),
        StorageSample(31, "/", "1.3.6.1.2.1.25.2.1.4", 4096, 2_000_000, 500_000),
    ]


def test_storage_row_without_its_numbers_is_left_out() -> None:
    cells = storage_row(7, HR_STORAGE_FIXED_DISK, b"/srv", units=4096, size=10, used=5)
    del cells[(*hostres.HR_STORAGE_ENTRY, 6, 7)]
    cells.update(storage_row(8, HR_STORAGE_FIXED_DISK, b"\xff/data", units=512, size=10, used=5))
    rows = hostres.parse_storage(walk_of(cells, hostres.HR_STORAGE_COLUMNS))
    assert [(r.index, r.descr) for r in rows] == [(8, "\\xff/data")]


def test_processor_load_by_device_index() -> None:
    load = hostres.HR_PROCESSOR_LOAD
    cells: dict[Oid, tuple[Tag, Value]] = {
        (*load, 197): (Tag.INTEGER, 12),
        (*load, 196): (Tag.INTEGER, 3),
    }
    assert hostres.parse_processor_load(walk_of(cells, (load,))) == {196: 3, 197: 12}
