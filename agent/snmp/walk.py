"""The bookkeeping of a multi-root GETBULK walk, free of I/O (the client sends, this decides).

Every request carries each unfinished root's last OID, so a table's columns advance side by
side. A GETBULK answer lists its repetitions row by row, one varbind per requested column, so
varbind ``i`` belongs to column ``i % width`` — also when the agent truncated the answer to
fit its size or repetition limits, even in the middle of a row.

A walk keeps only what a row needs as each answer arrives: per column, each row's index (the
arcs after the root) and its value, packed in arrays (:class:`Column`), not the decoded
``VarBind`` with its full OID tuple. An agent polling 500 devices has 50 walks of ~1,000
varbinds in flight at once: as VarBinds that was ~11 MiB of small objects interleaved with the
polls' long-lived results (fragmented pymalloc arenas); packed it is ~20 bytes a varbind.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence

from netwarden.agent.snmp.ber import encode_subid, oid_content, subids
from netwarden.agent.snmp.types import (
    EXCEPTIONS,
    Oid,
    Reason,
    SnmpError,
    Tag,
    Value,
    VarBind,
    format_oid,
)

_FIRST_EXCEPTION = int(Tag.NO_SUCH_OBJECT)  # tags >= 0x80 are the v2 exception values
_MAX_INDEX = 2**32 - 1  # what array('I') holds (SNMP's sub-identifier range)
_MAX_VALUE = 2**64 - 1  # what array('Q') holds (every Counter64, Gauge32, TimeTicks)
_TAGS = {int(tag): tag for tag in Tag}


class Column:
    """The rows one walked root gave, in OID order: each row's index suffix, BER tag and value.

    Packed while it can be: single-arc indexes (as in most tables) in an ``array('I')``,
    non-negative integer values in an ``array('Q')``. The first row that does not fit (an
    index of several arcs, an OCTET STRING or negative INTEGER value) turns that part into a
    plain list, so any column is kept exactly. :meth:`varbinds` gives the walk as VarBinds.
    """

    __slots__ = ("_indexes", "_tags", "_values")

    def __init__(self) -> None:
        self._indexes: array[int] | list[Oid] = array("I")
        self._tags = bytearray()
        self._values: array[int] | list[Value] = array("Q")

    def append(self, suffix: int | Oid, tag: int, value: Value) -> None:
        """Add a row: ``suffix`` is its OID after the root, an int for a single arc (no tuple
        made per row), ``tag`` not an exception (a walk ends on those)."""
        indexes = self._indexes
        if isinstance(indexes, array) and isinstance(suffix, int) and 0 <= suffix <= _MAX_INDEX:
            indexes.append(suffix)
        else:
            if isinstance(indexes, array):
                indexes = self._indexes = [(i,) for i in indexes]
            indexes.append((suffix,) if isinstance(suffix, int) else suffix)
        values = self._values
        if isinstance(values, array) and isinstance(value, int) and 0 <= value <= _MAX_VALUE:
            values.append(value)
        else:
            if isinstance(values, array):
                values = self._values = list(values)
            values.append(value)
        self._tags.append(tag)

    def __len__(self) -> int:
        return len(self._tags)

    def packed(self) -> tuple[array[int], array[int]] | None:
        """(each row's index, its value) as the column's own arrays (not copies: do not
        change them), when every row has a single-arc index and an unsigned integer value;
        ``None`` otherwise."""
        indexes, values = self._indexes, self._values
        if isinstance(indexes, array) and isinstance(values, array):
            return indexes, values
        return None

    def by_index(self) -> dict[int, Value]:
        """The rows of a table indexed by one integer: {index: value}; rows whose index has
        more arcs are left out."""
        indexes = self._indexes
        if isinstance(indexes, array):
            return dict(zip(indexes, self._values, strict=True))
        return {s[0]: v for s, v in zip(indexes, self._values, strict=True) if len(s) == 1}

    def rows(self) -> Iterator[tuple[Oid, Tag, Value]]:
        """(index suffix, tag, value) of every row, in OID order."""
        indexes = self._indexes
        suffixes = ((i,) for i in indexes) if isinstance(indexes, array) else iter(indexes)
        return zip(suffixes, (_TAGS[t] for t in self._tags), self._values, strict=True)

    def varbinds(self, root: Oid) -> list[VarBind]:
        """The rows as the VarBinds the agent sent (``root`` is the column's walked root)."""
        return [VarBind((*root, *suffix), tag, value) for suffix, tag, value in self.rows()]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Column):
            return NotImplemented
        return list(self.rows()) == list(other.rows())

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def __repr__(self) -> str:
        return f"Column({list(self.rows())!r})"


def columns_of(walk: Mapping[Oid, Sequence[VarBind]]) -> dict[Oid, Column]:
    """A walk's VarBinds (as a session's ``bulk_walk`` returns them) -> packed columns, for
    sessions that walk otherwise (the pysnmp engine, the fakes). Exception values and OIDs
    outside their root are dropped, as a :class:`BulkWalk` drops them."""
    out: dict[Oid, Column] = {}
    for root, varbinds in walk.items():
        n = len(root)
        col = out[root] = Column()
        for vb in varbinds:
            if vb.tag not in EXCEPTIONS and len(vb.oid) > n and vb.oid[:n] == root:
                col.append(vb.oid[n] if len(vb.oid) == n + 1 else vb.oid[n:], vb.tag, vb.value)
    return out


class _Column:
    __slots__ = ("done", "last", "n", "next_content", "prefix", "root", "rows")

    def __init__(self, root: Oid) -> None:
        self.root = root
        self.n = len(root)
        self.prefix = oid_content(root)
        self.next_content = self.prefix
        self.last = root
        self.rows = Column()
        self.done = False


class BulkWalk:
    """State of one walk of ``roots`` (duplicates are walked once)."""

    def __init__(self, roots: Sequence[Oid]) -> None:
        self._columns = [_Column(root) for root in dict.fromkeys(roots)]
        self._active = list(self._columns)

    @property
    def done(self) -> bool:
        return not self._active

    def request_oids(self) -> list[bytes]:
        """The encoded OIDs (content octets) of the next GETBULK: each unfinished root's last."""
        return [col.next_content for col in self._active]

    def results(self) -> dict[Oid, list[VarBind]]:
        """Each root's rows as VarBinds (for callers that want the OIDs; built on demand)."""
        return {col.root: col.rows.varbinds(col.root) for col in self._columns}

    def columns(self) -> dict[Oid, Column]:
        """Each root's rows, packed (what the poller keeps while its other walks run)."""
        return {col.root: col.rows for col in self._columns}

    def consume(self, varbinds: Sequence[VarBind]) -> None:
        """Take one GETBULK answer to :meth:`request_oids`. A column finishes on leaving its
        subtree or on an exception value (endOfMibView); an OID that does not increase is a
        broken agent (it would loop for ever) and raises ``SnmpError(decode)``."""
        active = self._active
        width = len(active)
        taken = 0
        for i, vb in enumerate(varbinds):
            col = active[i % width]
            if col.done:
                continue
            oid = vb.oid
            if vb.tag >= _FIRST_EXCEPTION or oid[: col.n] != col.root:
                col.done = True
            elif oid > col.last:
                n = col.n
                col.rows.append(oid[n] if len(oid) == n + 1 else oid[n:], vb.tag, vb.value)
                col.last = oid
                taken += 1
            else:
                raise SnmpError(
                    Reason.decode,
                    f"OID not increasing: {format_oid(oid)} after {format_oid(col.last)}",
                )
        self._advance(taken)

    def _advance(self, taken: int) -> None:
        still = [col for col in self._active if not col.done]
        if taken == 0 and len(still) == len(self._active):
            raise SnmpError(Reason.decode, "GETBULK answer made no progress (empty answer)")
        for col in still:
            last = col.last
            if len(last) == col.n + 1:  # one index arc, as in most tables: skip the slice
                col.next_content = col.prefix + encode_subid(last[-1])
            else:
                col.next_content = col.prefix + subids(last[col.n :])
        self._active = still
