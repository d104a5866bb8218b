"""IF-MIB for the poller: numeric OIDs and the pure mapping of walked columns to interface rows.

Numeric OIDs because Debian ships no MIB files. Metric names are snmp_exporter's ``if_mib``
spelling, so dashboards and alerts written for it keep working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from netwarden.agent.polling.row_values import RowValues
from netwarden.agent.polling.snapshot import InterfaceSample
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


@dataclass(frozen=True, slots=True)
class IfLabels:
    """The cached, slow-changing columns of one ifIndex; ``None`` = not known."""

    name: str | None = None
    descr: str | None = None
    alias: str | None = None
    high_speed: int | None = None


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
) -> tuple[list[InterfaceSample], list[int]]:
    """The hot walks (``None`` = that table failed) and the labels -> (rows by ifIndex, the
    ifIndexes left out because their labels belong to another ifName than the one walked
    with the counters: exporting them would splice two interfaces' counters into one series)."""
    if_cols = _columns(if_walk, HOT_IF_COLUMNS)
    ifx_cols = _columns(ifx_walk, HOT_IFX_COLUMNS)
    names = hot_names(ifx_walk)
    rows: list[InterfaceSample] = []
    conflicts: list[int] = []
    for index in sorted({*names}.union(*if_cols.values(), *ifx_cols.values())):
        lab = labels.get(index, IfLabels())
        walked = names.get(index)
        if walked is not None and lab.name is not None and walked != lab.name:
            conflicts.append(index)
            continue
        counters = _pick(ifx_cols, HC_COUNTERS, index)
        bits = 64
        # Only a successful ifXTable walk proves "no HC columns"; after a failed one a 64-bit
        # interface must not briefly export its 32-bit counters under the other names.
        if not counters and ifx_walk is not None:
            counters = _pick(if_cols, LEGACY_COUNTERS, index)
            bits = 32 if counters else 64
        counters.update(_pick(if_cols, IF_COUNTERS, index))
        gauges = _pick(if_cols, IF_GAUGES, index)
        if lab.high_speed is not None:
            gauges["ifHighSpeed"] = lab.high_speed
        # The cached name when equal: the walked copy is then freed with the walk.
        name = lab.name if walked is None or walked == lab.name else walked
        name = name or ""
        descr, alias = lab.descr or "", lab.alias or ""
        rows.append(
            InterfaceSample(index, name, descr, alias, RowValues(counters), RowValues(gauges), bits)
        )
    return rows, conflicts


def _columns(walk: Walk | None, columns: Sequence[Oid]) -> dict[Oid, dict[int, int]]:
    return {} if walk is None else {c: column_ints(walk, c) for c in columns}


def _pick(
    cols: Mapping[Oid, Mapping[int, int]], named: Mapping[str, Oid], index: int
) -> dict[str, int]:
    out: dict[str, int] = {}
    for metric, column in named.items():
        value = cols.get(column, {}).get(index)
        if value is not None:
            out[metric] = value
    return out
