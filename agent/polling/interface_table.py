"""One poll's interfaces of one device, packed in a few buffers: :class:`InterfaceTable`.

A 500-device agent keeps ~25,000 interface rows between polls. As an ``InterfaceSample`` per
row holding two mappings, each with its own ``array('Q')``, they were ~130,000 small objects
re-made every poll (11.5 MiB), in pymalloc's arenas among the scrapes' temporaries: that churn
fragmented the arenas, and a scrape's view of the previous poll kept a second copy alive. A
table is a handful of objects a device: the ifIndexes in an ``array('I')``, every value in one
``array('Q')`` laid out column by column (:data:`COLUMNS`, absent columns not stored), which
cells are present (``None`` when all are), each row's counter width, and the label cache's own
labels (shared, not copied: the cache replaces them on a refresh and never edits them). The
value buffer is kilobytes, which malloc serves outside the arenas.

The scrape reads the columns directly (:meth:`InterfaceTable.column`). Everything else sees a
``Sequence[InterfaceSample]``: a row is made on access, with the fields, values and key order
the poller's rows always had.

The label cache keeps each device's labels packed the same way (:class:`PackedLabels`): as a
dict of ``IfLabels`` they were ~6 objects an interface, 7 MiB in a 500-device agent.
"""

from __future__ import annotations

import dataclasses
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias, overload

from netwarden.agent.polling.snapshot import InterfaceSample

HC_NAMES: Final = (
    *("ifHCInOctets", "ifHCInUcastPkts", "ifHCInMulticastPkts", "ifHCInBroadcastPkts"),
    *("ifHCOutOctets", "ifHCOutUcastPkts", "ifHCOutMulticastPkts", "ifHCOutBroadcastPkts"),
)
LEGACY_NAMES: Final = ("ifInOctets", "ifInUcastPkts", "ifOutOctets", "ifOutUcastPkts")
ALWAYS_NAMES: Final = ("ifInDiscards", "ifInErrors", "ifOutDiscards", "ifOutErrors")
STATUS_NAMES: Final = ("ifAdminStatus", "ifOperStatus", "ifLastChange")
HIGH_SPEED: Final = "ifHighSpeed"

COUNTERS: Final[tuple[str, ...]] = (*HC_NAMES, *LEGACY_NAMES, *ALWAYS_NAMES)
GAUGES: Final[tuple[str, ...]] = (*STATUS_NAMES, HIGH_SPEED)
COLUMNS: Final[tuple[str, ...]] = (*COUNTERS, *GAUGES)
"""Every value a table can hold, in the order of the rows' ``counters`` then ``gauges`` keys
(a row has the HC or the legacy counters, never both, so this is the order the poller made)."""
COLUMN: Final[Mapping[str, int]] = {name: k for k, name in enumerate(COLUMNS)}

_ABSENT: Final = 255  # the slot of a column that is not stored
_SLOTS: dict[bytes, bytes] = {}  # each distinct slot layout, once (a fleet has a handful)
_MAX_SLOTS: Final = 1024  # a bound, should odd devices make many; beyond it none is shared

Values: TypeAlias = "array[int] | list[float]"  # a string: array is no generic at run time
"""The cells: unsigned 64-bit words, or a list when a value does not fit (a negative INTEGER
from an odd device): slower and bigger, and exported the same."""


@dataclass(frozen=True, slots=True)
class IfLabels:
    """The cached, slow-changing columns of one ifIndex; ``None`` = not known."""

    name: str | None = None
    descr: str | None = None
    alias: str | None = None
    high_speed: int | None = None


NO_LABELS: Final = IfLabels()
_SPEED: Final = 8  # PackedLabels' known bits: 1 << 0..2 for name, descr, alias; then speed


class PackedLabels(Mapping[int, IfLabels]):
    """A device's cached labels (ifIndex -> :class:`IfLabels`), packed: the ifIndexes in an
    ``array('I')``, every ifName, ifDescr and ifAlias in one ``str`` with their end offsets,
    which of them are known, and the speeds in an ``array('I')`` (a Gauge32). As a dict of
    ``IfLabels`` they were ~6 objects an interface (7 MiB in a 500-device agent) held until
    the next refresh; packed they are a few buffers a device. An ``IfLabels`` is made on
    access; the poller's hot paths read the fields they need without one
    (:meth:`name_matches`, :meth:`speed_column`, :meth:`texts_of`)."""

    __slots__ = ("_all_speeds", "_ends", "_indexes", "_known", "_speeds", "_text")

    def __init__(
        self,
        indexes: array[int],
        text: str,
        ends: array[int],
        known: bytes,
        speeds: array[int],
    ) -> None:
        self._indexes = indexes  # sorted
        self._text = text
        self._ends = ends  # 3 a row: where its name, descr and alias end in text
        self._known = known  # a byte a row: the _NAME, _DESCR, _ALIAS, _SPEED bits known
        self._speeds = speeds  # 0 where unknown
        self._all_speeds = all(k & _SPEED for k in known)

    def _row(self, index: int) -> int:
        """The row of ``index``, or -1."""
        indexes = self._indexes
        row = bisect_left(indexes, index)
        return row if row < len(indexes) and indexes[row] == index else -1

    def _field(self, row: int, k: int) -> str | None:
        if not self._known[row] & (1 << k):
            return None
        at = 3 * row + k
        return self._text[self._ends[at - 1] if at else 0 : self._ends[at]]

    def name_matches(self, index: int, name: str) -> bool | None:
        """Whether the cached ifName of ``index`` is ``name`` (None: no cached name); compared
        in place, no string made: the poller asks it for every interface of every poll."""
        row = self._row(index)
        if row < 0 or not self._known[row] & 1:
            return None
        ends = self._ends
        start, end = ends[3 * row - 1] if row else 0, ends[3 * row]
        return end - start == len(name) and self._text.startswith(name, start)

    def speed_column(self, indexes: Sequence[int]) -> Sequence[int] | None:
        """Every speed, in the order of ``indexes``, when those are exactly the cached ones
        and each speed is known (as it is on a device in steady state); else None."""
        if self._all_speeds and self._indexes == indexes:
            return self._speeds
        return None

    def speed(self, index: int) -> int | None:
        row = self._row(index)
        if row < 0 or not self._known[row] & _SPEED:
            return None
        return self._speeds[row]

    def texts(self, index: int) -> tuple[str | None, str | None, str | None]:
        row = self._row(index)
        if row < 0:
            return None, None, None
        return self._field(row, 0), self._field(row, 1), self._field(row, 2)

    def texts_of(
        self, indexes: Sequence[int]
    ) -> Iterator[tuple[str | None, str | None, str | None]]:
        """:meth:`texts` of each of ``indexes``; in one pass, without a search an index, when
        they are exactly the cached ones (a device in steady state: what a scrape reads)."""
        if self._indexes != indexes:
            return (self.texts(index) for index in indexes)
        return self._all_texts()

    def _all_texts(self) -> Iterator[tuple[str | None, str | None, str | None]]:
        text, ends, known = self._text, self._ends, self._known
        start = 0
        for row, bits in enumerate(known):
            e0, e1, e2 = ends[3 * row], ends[3 * row + 1], ends[3 * row + 2]
            yield (
                text[start:e0] if bits & 1 else None,
                text[e0:e1] if bits & 2 else None,
                text[e1:e2] if bits & 4 else None,
            )
            start = e2

    def __getitem__(self, index: int) -> IfLabels:
        row = self._row(index)
        if row < 0:
            raise KeyError(index)
        speed = self._speeds[row] if self._known[row] & _SPEED else None
        return IfLabels(self._field(row, 0), self._field(row, 1), self._field(row, 2), speed)

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and self._row(index) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self._indexes)

    def __len__(self) -> int:
        return len(self._indexes)

    def __repr__(self) -> str:
        return f"PackedLabels({dict(self)!r})"


def pack_labels(entries: Mapping[int, IfLabels]) -> Mapping[int, IfLabels]:
    """``entries`` packed (:class:`PackedLabels`), or as a plain dict when they do not fit
    (an ifIndex or a speed outside the unsigned ranges)."""
    if isinstance(entries, PackedLabels):
        return entries
    order = sorted(entries)
    parts: list[str] = []
    ends = array("I")
    known = bytearray()
    end = 0
    try:
        indexes = array("I", order)
        speeds = array("I", (entries[i].high_speed or 0 for i in order))  # a Gauge32
    except (OverflowError, TypeError):
        return dict(entries)
    for index in order:
        lab = entries[index]
        bits = 0
        for k, text in enumerate((lab.name, lab.descr, lab.alias)):
            if text is not None:
                bits |= 1 << k
                parts.append(text)
                end += len(text)
            ends.append(end)
        known.append(bits | (_SPEED if lab.high_speed is not None else 0))
    return PackedLabels(indexes, "".join(parts), ends, bytes(known), speeds)


def label_name_matches(labels: Mapping[int, IfLabels], index: int, name: str) -> bool | None:
    """Whether the cached ifName of ``index`` is ``name`` (None: no cached name)."""
    if isinstance(labels, PackedLabels):
        return labels.name_matches(index, name)
    cached = labels.get(index, NO_LABELS).name
    return None if cached is None else cached == name


def label_speed(labels: Mapping[int, IfLabels], index: int) -> int | None:
    """The cached ifHighSpeed of ``index`` (None: unknown)."""
    if isinstance(labels, PackedLabels):
        return labels.speed(index)
    return labels.get(index, NO_LABELS).high_speed


class TablePacker:
    """Builds an :class:`InterfaceTable` of ``indexes``, a column at a time in :data:`COLUMNS`
    order (what :func:`ifmib.build_interfaces` and :meth:`InterfaceTable.from_samples` do)."""

    def __init__(self, indexes: Sequence[int]) -> None:
        self._n = len(indexes)
        try:
            self._indexes: array[int] | list[int] = array("I", indexes)
        except (OverflowError, TypeError):  # not an SNMP sub-identifier: kept as given
            self._indexes = list(indexes)
        self._values: Values = array("Q")
        self._masks: list[bytes | None] = []  # per stored column; None = every row present
        self._slots = bytearray([_ABSENT]) * len(COLUMNS)
        self._next = 0  # the COLUMNS position the next column may take

    @property
    def n(self) -> int:
        return self._n

    @property
    def indexes(self) -> Sequence[int]:
        """The table's ifIndexes, in row order (compare a walked column's with these)."""
        return self._indexes

    def add(self, name: str, rows: Sequence[int] | None, values: Sequence[float]) -> bytes | None:
        """Column ``name``: every row's value (``rows`` None: ``values`` has one per row, as
        a walked column whose indexes are the table's is copied whole) or ``values[j]`` at
        row ``rows[j]`` (a row given twice keeps its last value). Returns which rows have a
        value (``None``: all of them)."""
        k = COLUMN[name]
        if k < self._next:
            raise ValueError(f"column {name!r} added out of order or twice")
        self._next = k + 1
        n = self._n
        if rows is None:
            if len(values) != n:
                raise ValueError(f"column {name!r}: {len(values)} values for {n} rows")
            mask: bytes | None = None
            cells: Sequence[float] = values
        else:
            if not rows:
                return bytes(n)  # no row has a value: the column is not stored
            full: list[float] = [0] * n  # ints: a float would turn the table into a list
            present = bytearray(n)
            for row, value in zip(rows, values, strict=True):
                full[row] = value
                present[row] = 1
            mask = None if present.count(0) == 0 else bytes(present)
            cells = full
        if n == 0:
            return None
        self._slots[k] = len(self._masks)
        self._masks.append(mask)
        self._extend(cells)
        return mask

    def _extend(self, cells: Sequence[float]) -> None:
        values = self._values
        start = len(values)
        if isinstance(cells, array) and cells.typecode != "Q":
            # array.extend takes only an array of its own type (else TypeError, which would
            # turn the whole table into a list of int objects): e.g. the cache's speeds.
            cells = array("Q", cells)
        try:
            values.extend(cells)  # type: ignore[arg-type]  # an array takes ints only
        except (OverflowError, TypeError):  # a value that is no unsigned 64-bit int
            del values[start:]  # array.extend from a list keeps what it took before failing
            self._values = values = list(values)
            values.extend(cells)

    def table(
        self,
        *,
        labels: Mapping[int, IfLabels] | Sequence[IfLabels],
        bits: bytes | None = None,
        names: Mapping[int, str] | None = None,
    ) -> InterfaceTable:
        """The table: ``labels`` by ifIndex (the label cache's mapping, shared) or one per
        row; ``bits`` each row's counter width (None: all 64); ``names`` row -> ifName for
        rows whose labels have none."""
        masks = self._masks
        if all(m is None for m in masks):
            mask = None
        else:
            mask = b"".join(b"\x01" * self._n if m is None else m for m in masks)
        slots = bytes(self._slots)
        shared = _SLOTS.get(slots)
        if shared is None:
            shared = slots
            if len(_SLOTS) < _MAX_SLOTS:
                _SLOTS[slots] = slots
        return InterfaceTable(
            self._indexes,
            self._values,
            slots=shared,
            mask=mask,
            labels=labels,
            bits=bits,
            names=dict(names) if names else None,
        )


class InterfaceTable(Sequence[InterfaceSample]):
    """One device's interface rows of one poll, in the order they are exported (by ifIndex)."""

    __slots__ = ("_bits", "_indexes", "_labels", "_mask", "_names", "_slots", "_values")

    def __init__(
        self,
        indexes: Sequence[int],
        values: Values,
        *,
        slots: bytes,
        mask: bytes | None,
        labels: Mapping[int, IfLabels] | Sequence[IfLabels],
        bits: bytes | None,
        names: dict[int, str] | None,
    ) -> None:
        self._indexes = indexes
        self._values = values
        self._slots = slots  # per COLUMNS position: the stored column's number, or _ABSENT
        self._mask = mask  # a byte a cell, laid out as the values; None: all present
        self._labels = labels
        self._bits = bits  # a byte a row: 64 or 32; None: all 64
        self._names = names  # row -> the walked ifName where the labels have no name

    @staticmethod
    def from_samples(samples: Iterable[InterfaceSample]) -> InterfaceTable:
        """A table of rows made elsewhere (tests, benchmarks, old callers), in their order.
        Only :data:`COLUMNS` are kept, counters from ``counters`` and gauges from ``gauges``
        (the names the exposition reads from each); ``counter_bits`` must be 32 or 64."""
        rows = list(samples)
        packer = TablePacker([s.if_index for s in rows])
        for name in COLUMNS:
            at: list[int] = []
            got: list[float] = []
            for r, sample in enumerate(rows):
                value = (sample.counters if name in _COUNTER_SET else sample.gauges).get(name)
                if value is not None:
                    at.append(r)
                    got.append(value)
            packer.add(name, at, got)
        bits = [s.counter_bits for s in rows]
        if any(b not in (32, 64) for b in bits):
            raise ValueError(f"counter_bits must be 32 or 64, not {bits}")
        labels = [IfLabels(s.if_name, s.if_descr, s.if_alias) for s in rows]
        return packer.table(labels=labels, bits=None if 32 not in bits else bytes(bits))

    def __len__(self) -> int:
        return len(self._indexes)

    def labels(self, row: int) -> tuple[str, str, str]:
        """ifName, ifDescr and ifAlias of ``row`` (``""`` where unknown)."""
        got = self._labels
        if isinstance(got, PackedLabels):
            name, descr, alias = got.texts(self._indexes[row])
        else:
            lab = got.get(self._indexes[row], NO_LABELS) if isinstance(got, Mapping) else got[row]
            name, descr, alias = lab.name, lab.descr, lab.alias
        if name is None and self._names is not None:
            name = self._names.get(row)
        return name or "", descr or "", alias or ""

    def label_rows(self) -> Iterator[tuple[int, str, str, str]]:
        """ifIndex, ifName, ifDescr and ifAlias of every row, in order (what a scrape
        encodes): from packed labels in one pass, no ``IfLabels`` made."""
        got, indexes, names = self._labels, self._indexes, self._names
        if not isinstance(got, PackedLabels):
            for row, index in enumerate(indexes):
                yield (index, *self.labels(row))
            return
        for row, (index, (cached, descr, alias)) in enumerate(
            zip(indexes, got.texts_of(indexes), strict=True)
        ):
            name = names.get(row) if cached is None and names is not None else cached
            yield index, name or "", descr or "", alias or ""

    def high_capacity(self, row: int) -> bool:
        """The row's counters are the 64-bit ifHC* ones (or it has none: not the fallback)."""
        return self._bits is None or self._bits[row] == 64

    def column(self, name: str) -> tuple[Values, int, bytes | None] | None:
        """Where column ``name`` is: (the values, the offset of its first row, the presence
        mask with the same offsets or None when every cell is present); None: no row has it."""
        slot = self._slots[COLUMN[name]]
        if slot == _ABSENT:
            return None
        return self._values, slot * len(self._indexes), self._mask

    @overload
    def __getitem__(self, row: int) -> InterfaceSample: ...
    @overload
    def __getitem__(self, row: slice) -> list[InterfaceSample]: ...

    def __getitem__(self, row: int | slice) -> InterfaceSample | list[InterfaceSample]:
        n = len(self._indexes)
        if isinstance(row, slice):
            return [self[r] for r in range(*row.indices(n))]
        if row < 0:
            row += n
        if not 0 <= row < n:
            raise IndexError("interface row out of range")
        values, slots, mask = self._values, self._slots, self._mask
        counters: dict[str, int] = {}
        gauges: dict[str, int] = {}
        for k, name in enumerate(COLUMNS):
            slot = slots[k]
            if slot == _ABSENT:
                continue
            cell = slot * n + row
            if mask is None or mask[cell]:
                (counters if k < _N_COUNTERS else gauges)[name] = values[cell]  # type: ignore[assignment]
        name, descr, alias = self.labels(row)
        bits = 64 if self._bits is None else self._bits[row]
        return InterfaceSample(self._indexes[row], name, descr, alias, counters, gauges, bits)

    def __iter__(self) -> Iterator[InterfaceSample]:
        return (self[r] for r in range(len(self._indexes)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, InterfaceTable | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by content, like the list it was

    def __repr__(self) -> str:
        return f"InterfaceTable({list(self)!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> list[dict[str, Any]]:
        # dataclasses.asdict deep-copies what is not a list, tuple or dict: `poll --output
        # json` then gets the list of row dicts it always wrote.
        return [dataclasses.asdict(sample) for sample in self]


_N_COUNTERS: Final = len(COUNTERS)
_COUNTER_SET: Final = frozenset(COUNTERS)
