"""IF-MIB for the poller: numeric OIDs and the pure mapping of walked columns to interface rows.

Numeric OIDs because Debian ships no MIB files. Metric names are snmp_exporter's ``if_mib``
spelling, so dashboards and alerts written for it keep working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from netwarden.agent.polling.interface_table import (
    HIGH_SPEED,
    IfLabels,
    InterfaceTable,
    PackedLabels,
    TablePacker,
    label_name_matches,
    label_speed,
)
from netwarden.agent.snmp.types import Oid, Value, VarBind
from netwarden.agent.snmp.walk import Column

Walk = Mapping[Oid, Column | Sequence[VarBind]]
"""Each walked column -> its rows: packed, as :meth:`SnmpSession.walk_columns` returns them
(the poller's walks), or the varbinds of :meth:`SnmpSession.bulk_walk`."""

IF_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 2, 2, 1)  # ifTable.ifEntry
IFX_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)  # ifXTable.ifXEntry

SYS_UPTIME: Final[Oid] = (1, 3, 6, 1, 2, 1, 1, 3, 0)
IF_NUMBER: Final[Oid] = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_TABLE_LAST_CHANGE: Final[Oid] = (1, 3, 6, 1, 2, 1, 31, 1, 5, 0)
SCALAR_OIDS: Final[tuple[Oid, ...]] = (SYS_UPTIME, IF_NUMBER, IF_TABLE_LAST_CHANGE)

IF_DESCR: Final[Oid] = (*IF_ENTRY, 2)
IF_NAME: Final[Oid] = (*IFX_ENTRY, 1)
IF_HIGH_SPEED: Final[Oid] = (*IFX_ENTRY, 15)
IF_ALIAS: Final[Oid] = (*IFX_ENTRY, 18)

IF_GAUGES: Final[Mapping[str, Oid]] = {
    "ifAdminStatus": (*IF_ENTRY, 7),
    "ifOperStatus": (*IF_ENTRY, 8),
    "ifLastChange": (*IF_ENTRY, 9),
}
IF_COUNTERS: Final[Mapping[str, Oid]] = {  # exported for every interface, from ifTable
    "ifInDiscards": (*IF_ENTRY, 13),
    "ifInErrors": (*IF_ENTRY, 14),
    "ifOutDiscards": (*IF_ENTRY, 19),
    "ifOutErrors": (*IF_ENTRY, 20),
}
LEGACY_COUNTERS: Final[Mapping[str, Oid]] = {  # 32-bit fallback when an interface has no HC
    "ifInOctets": (*IF_ENTRY, 10),
    "ifInUcastPkts": (*IF_ENTRY, 11),
    "ifOutOctets": (*IF_ENTRY, 16),
    "ifOutUcastPkts": (*IF_ENTRY, 17),
}
HC_COUNTERS: Final[Mapping[str, Oid]] = {
    "ifHCInOctets": (*IFX_ENTRY, 6),
    "ifHCInUcastPkts": (*IFX_ENTRY, 7),
    "ifHCInMulticastPkts": (*IFX_ENTRY, 8),
    "ifHCInBroadcastPkts": (*IFX_ENTRY, 9),
    "ifHCOutOctets": (*IFX_ENTRY, 10),
    "ifHCOutUcastPkts": (*IFX_ENTRY, 11),
    "ifHCOutMulticastPkts": (*IFX_ENTRY, 12),
    "ifHCOutBroadcastPkts": (*IFX_ENTRY, 13),
}

# What every poll walks, one walk per table so a slow ifXTable cannot cost the ifTable data.
# ifName rides along with the counters: it is how a renumbered interface is noticed.
HOT_IF_COLUMNS: Final[tuple[Oid, ...]] = tuple(
    sorted([*IF_GAUGES.values(), *IF_COUNTERS.values(), *LEGACY_COUNTERS.values()])
)
HOT_IFX_COLUMNS: Final[tuple[Oid, ...]] = (IF_NAME, *HC_COUNTERS.values())
# The slow-changing columns, walked only when the label cache is refreshed.
LABEL_IF_COLUMNS: Final[tuple[Oid, ...]] = (IF_DESCR,)
LABEL_IFX_COLUMNS: Final[tuple[Oid, ...]] = (IF_NAME, IF_HIGH_SPEED, IF_ALIAS)


@dataclass(frozen=True)
class Scalars:
    """The one GET of every poll; ``None`` when the device does not implement the object."""

    sys_uptime: int | None
    if_number: int | None
    if_table_last_change: int | None


_SPEEDS: dict[int, int] = {}  # each ifHighSpeed value seen, once (a fleet has a handful)
_MAX_SPEEDS = 1024  # a bound, should devices report odd speeds; beyond it values are not shared


def _shared_speed(value: int) -> int:
    """One int object per distinct speed: the label cache keeps an ifHighSpeed for every
    interface (25,500 in a 500-device agent, ~0.65 MiB as separate ints of 1000, 10000...)."""
    shared = _SPEEDS.get(value)
    if shared is None:
        shared = value
        if len(_SPEEDS) < _MAX_SPEEDS:
            _SPEEDS[value] = value
    return shared


def decode_text(raw: bytes) -> str:
    """DisplayString/SnmpAdminString -> str: UTF-8, and any invalid byte as a visible ``\\xNN``
    (one bad ifAlias must never cost the device its metrics, as it does in snmp_exporter)."""
    return raw.decode("utf-8", errors="backslashreplace")


def column_values(walk: Walk, column: Oid) -> dict[int, Value]:
    """One walked column of a table indexed by a single integer -> {index: value}; exception
    values and OIDs outside the column (or with a longer index) are skipped."""
    rows = walk.get(column, ())
    if isinstance(rows, Column):  # walked from this root: no exceptions, no foreign OIDs
        return rows.by_index()
    size = len(column)
    out: dict[int, Value] = {}
    for vb in rows:
        if vb.is_exception or len(vb.oid) != size + 1 or vb.oid[:size] != column:
            continue
        out[vb.oid[size]] = vb.value
    return out


def column_ints(walk: Walk, column: Oid) -> dict[int, int]:
    return {i: v for i, v in column_values(walk, column).items() if isinstance(v, int)}


def column_texts(walk: Walk, column: Oid) -> dict[int, str]:
    return {
        i: decode_text(v) for i, v in column_values(walk, column).items() if isinstance(v, bytes)
    }


def parse_scalars(varbinds: Sequence[VarBind]) -> Scalars:
    """The answer to a GET of :data:`SCALAR_OIDS` -> :class:`Scalars`."""
    got = {vb.oid: vb.value for vb in varbinds if not vb.is_exception}

    def _int(oid: Oid) -> int | None:
        value = got.get(oid)
        return value if isinstance(value, int) else None

    return Scalars(_int(SYS_UPTIME), _int(IF_NUMBER), _int(IF_TABLE_LAST_CHANGE))


def hot_names(ifx_walk: Walk | None) -> dict[int, str]:
    """ifIndex -> the ifName walked alongside the counters (empty when ifXTable failed)."""
    return {} if ifx_walk is None else column_texts(ifx_walk, IF_NAME)


def parse_labels(if_walk: Walk | None, ifx_walk: Walk | None) -> dict[int, IfLabels]:
    """The label walks (``None`` = that table failed) -> ifIndex -> :class:`IfLabels`."""
    descr = {} if if_walk is None else column_texts(if_walk, IF_DESCR)
    ifx: Walk = {} if ifx_walk is None else ifx_walk
    name, alias = column_texts(ifx, IF_NAME), column_texts(ifx, IF_ALIAS)
    speed = {i: _shared_speed(v) for i, v in column_ints(ifx, IF_HIGH_SPEED).items()}
    return {
        i: IfLabels(name.get(i), descr.get(i), alias.get(i), speed.get(i))
        for i in sorted({*descr, *name, *alias, *speed})
    }


def build_interfaces(
    if_walk: Walk | None, ifx_walk: Walk | None, labels: Mapping[int, IfLabels]
) -> tuple[InterfaceTable, list[int]]:
    """The hot walks (``None`` = that table failed) and the labels -> (the rows by ifIndex,
    the ifIndexes left out because their labels belong to another ifName than the one walked
    with the counters: exporting them would splice two interfaces' counters into one series).

    The table is filled from the walks' packed columns: a column that has every row of the
    table is copied whole, others cell by cell; no per-interface object is made. ``labels`` is
    kept by the table (the label cache's mapping: it must not be edited afterwards)."""
    names = hot_names(ifx_walk)
    if_cols = _int_columns(if_walk, HOT_IF_COLUMNS)
    hc_cols = _int_columns(ifx_walk, tuple(HC_COUNTERS.values()))
    seen: set[int] = set(names)
    for indexes, _ in (*if_cols.values(), *hc_cols.values()):
        seen.update(indexes)
    kept, conflicts, walked_only = _rows(sorted(seen), names, labels)
    packer = TablePacker(kept)
    n = packer.n
    cells = _Cells(packer.indexes)
    hc = _Present(n)  # rows with at least one ifHC* counter
    for name, oid in HC_COUNTERS.items():
        hc.add(packer.add(name, *cells(hc_cols.get(oid, _NONE))))
    bits = None
    # Only a successful ifXTable walk proves "no HC columns"; after a failed one a 64-bit
    # interface must not briefly export its 32-bit counters under the other names.
    if ifx_walk is not None and not hc.all():
        need = hc.missing()
        legacy = _Present(n)
        for name, oid in LEGACY_COUNTERS.items():
            legacy.add(packer.add(name, *cells(if_cols.get(oid, _NONE), only=need)))
        if legacy.any():
            bits = bytes(32 if got else 64 for got in legacy.rows())
    for name, oid in (*IF_COUNTERS.items(), *IF_GAUGES.items()):
        packer.add(name, *cells(if_cols.get(oid, _NONE)))
    _add_speeds(packer, labels)
    return packer.table(labels=labels, bits=bits, names=walked_only), conflicts


def _add_speeds(packer: TablePacker, labels: Mapping[int, IfLabels]) -> None:
    """The ifHighSpeed column, from the label cache: its packed speeds whole when it has
    exactly the table's interfaces (steady state), else a row at a time."""
    whole = labels.speed_column(packer.indexes) if isinstance(labels, PackedLabels) else None
    if whole is not None:
        packer.add(HIGH_SPEED, None, whole)
        return
    speeds = [label_speed(labels, index) for index in packer.indexes]
    rows = [r for r, speed in enumerate(speeds) if speed is not None]
    packer.add(HIGH_SPEED, rows, [speeds[r] for r in rows])  # type: ignore[misc]  # no None


def _rows(
    indexes: Sequence[int], names: Mapping[int, str], labels: Mapping[int, IfLabels]
) -> tuple[list[int], list[int], dict[int, str]]:
    """(the ifIndexes kept, those left out by a conflict, row -> the ifName walked for the
    rows whose labels have no name: it is then the row's name)."""
    kept: list[int] = []
    conflicts: list[int] = []
    walked_only: dict[int, str] = {}
    for index in indexes:
        walked = names.get(index)
        if walked is not None:
            same = label_name_matches(labels, index, walked)
            if same is None:
                walked_only[len(kept)] = walked
            elif not same:
                conflicts.append(index)
                continue
        kept.append(index)
    return kept, conflicts, walked_only


IntColumn = tuple[Sequence[int], Sequence[int]]
"""A walked column's integer rows: their indexes and their values, in walk order."""
_NONE: Final[IntColumn] = ((), ())


def _int_columns(walk: Walk | None, columns: Sequence[Oid]) -> dict[Oid, IntColumn]:
    """Each column's integer rows: a packed walk's own arrays when it has them (no copy),
    else what :func:`column_ints` keeps, in the same order."""
    out: dict[Oid, IntColumn] = {}
    if walk is None:
        return out
    for column in columns:
        rows = walk.get(column)
        packed = rows.packed() if isinstance(rows, Column) else None
        if packed is not None:
            out[column] = packed
        else:
            got = column_ints(walk, column)
            out[column] = (list(got), list(got.values()))
    return out


class _Cells:
    """Where a walked column's rows go in a table of ``indexes``: all of it at once when its
    indexes are the table's, else (rows, values) of the ifIndexes the table has."""

    def __init__(self, indexes: Sequence[int]) -> None:
        self._indexes = indexes
        self._rows: dict[int, int] | None = None

    def __call__(
        self, column: IntColumn, *, only: bytes | None = None
    ) -> tuple[Sequence[int] | None, Sequence[int]]:
        indexes, values = column
        if only is None and indexes == self._indexes:
            return None, values
        if self._rows is None:
            self._rows = {index: r for r, index in enumerate(self._indexes)}
        where = self._rows
        rows: list[int] = []
        got: list[int] = []
        for index, value in zip(indexes, values, strict=True):
            r = where.get(index)
            if r is not None and (only is None or only[r]):
                rows.append(r)
                got.append(value)
        return rows, got


class _Present:
    """Which of ``n`` rows have a value in any of the columns added (a byte a row, 0 or 1)."""

    def __init__(self, n: int) -> None:
        self._n = n
        self._bits = 0  # the bytes as one big int: a union is one C-level or

    def add(self, mask: bytes | None) -> None:
        got = b"\x01" * self._n if mask is None else mask
        self._bits |= int.from_bytes(got, "big")

    def rows(self) -> bytes:
        return self._bits.to_bytes(self._n, "big")

    def all(self) -> bool:
        return self.rows().count(0) == 0

    def any(self) -> bool:
        return self._bits != 0

    def missing(self) -> bytes:
        """A byte a row: 1 where no column had a value."""
        return bytes(1 - got for got in self.rows())
