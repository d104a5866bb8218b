"""A compact, read-only ``{metric name: value}`` for one interface row's counters or gauges.

A 500-device agent keeps ~25,000 interface rows between polls, each with a counters and a
gauges mapping: as dicts they cost ~700 bytes a row (17 MiB), as a shared tuple of names and a
tuple of values ~300. Rows of the same shape share one names tuple.

The values are packed in an ``array('Q')`` (8 bytes each) rather than a tuple of ints (8 bytes
of pointer plus a 28-32 byte int object each): counters are non-negative and at most 2**64-1,
so every SNMP counter, gauge and TimeTicks fits. That is ~10 MiB less held by a 500-device
agent, and the big ints of a poll die with its walk instead of living until the next poll.
A row with a value that does not fit (a negative INTEGER from an odd device) keeps a tuple.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

_SHAPES: dict[tuple[str, ...], tuple[str, ...]] = {}  # each distinct tuple of names, once
MAX_SHAPES = 1024  # a bound, should a device invent names; beyond it shapes are not shared


class RowValues(Mapping[str, int]):
    """Read-only mapping of names to ints, in the order given (equal to a dict of the same
    items; ``dict(row)`` or :meth:`plain` gives a dict)."""

    __slots__ = ("_names", "_values")

    def __init__(self, pairs: Mapping[str, int]) -> None:
        names = tuple(pairs)
        shared = _SHAPES.get(names)
        if shared is None:
            shared = names
            if len(_SHAPES) < MAX_SHAPES:
                _SHAPES[names] = names
        self._names = shared
        self._values = _packed(pairs.values())

    def __getitem__(self, key: str) -> int:
        try:
            return self._values[self._names.index(key)]
        except ValueError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def plain(self) -> dict[str, int]:
        return dict(zip(self._names, self._values, strict=True))

    def __repr__(self) -> str:
        return f"RowValues({self.plain()!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, int]:
        # dataclasses.asdict deep-copies what is not a dict: `poll --output json` then gets a
        # plain dict, which json writes as before.
        return self.plain()


def _packed(values: Iterable[int]) -> Sequence[int]:
    """``values`` as unsigned 64-bit machine words, or a tuple when one does not fit."""
    items = tuple(values)  # an array built from a sized sequence is allocated exactly
    try:
        return array("Q", items)
    except (OverflowError, TypeError):  # negative, above 2**64-1, or not an int
        return items
