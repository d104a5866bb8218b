"""The bookkeeping of a multi-root GETBULK walk, free of I/O (the client sends, this decides).

Every request carries each unfinished root's last OID, so a table's columns advance side by
side. A GETBULK answer lists its repetitions row by row, one varbind per requested column, so
varbind ``i`` belongs to column ``i % width`` — also when the agent truncated the answer to
fit its size or repetition limits, even in the middle of a row.
"""

from __future__ import annotations

from collections.abc import Sequence

from netwarden.agent.snmp.ber import encode_subid, oid_content, subids
from netwarden.agent.snmp.types import Oid, Reason, SnmpError, Tag, VarBind, format_oid

_FIRST_EXCEPTION = int(Tag.NO_SUCH_OBJECT)  # tags >= 0x80 are the v2 exception values


class _Column:
    __slots__ = ("done", "last", "n", "next_content", "prefix", "root", "rows")

    def __init__(self, root: Oid) -> None:
        self.root = root
        self.n = len(root)
        self.prefix = oid_content(root)
        self.next_content = self.prefix
        self.last = root
        self.rows: list[VarBind] = []
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
                col.rows.append(vb)
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
