"""The interface families of a scrape, written straight from the polls' snapshots.

A 500-device agent has ~25,000 interfaces and 17 families of one series per interface. Built
as lists (each interface's label set, then each family's values), a scrape held ~8 MiB of
small objects that the render thread allocated among the results the polls were storing at
the same time; freed, they left pymalloc's arenas fragmented, and each scrape added to the
agent's RSS (bench/README.md, "second look"). Here a family is a :class:`StreamedFamily` that
walks the devices and their interfaces when written, so a line's only temporaries are its own
bytes and its value. The label sets are encoded once a scrape, a device's interfaces into one
``bytes`` (:func:`encode_devices`): a few kilobytes a device, which malloc serves, out of
pymalloc's arenas. The values are read from each device's packed table of the poll
(``interface_table``): per family and device, one column and its presence mask, no object an
interface.

Keeping those encodings from scrape to scrape (re-encoding a device only when its labels
change) was measured and not kept: it saved ~15 ms of a scrape's ~350 ms of CPU, and held
~4 MiB for good, which left the agent ~1.2 MiB bigger after its scrapes than encoding them
each time (bench/README.md, "third look").
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Final

from netwarden.agent.metrics.family import (
    CHUNK_BYTES,
    EXACT_LIMIT,
    Labels,
    Row,
    StreamedFamily,
    encode_labels,
    escape_label_value,
    format_value,
)
from netwarden.agent.metrics.names import MetricSpec
from netwarden.agent.polling.interface_table import InterfaceTable
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot

HIGH_CAPACITY: Final = "netwarden_if_high_capacity"

Device = tuple[Labels, Labels, InterfaceTable, bytes, Sequence[int]]
"""One device that answered, for one scrape: the head of its label set
(``{device="…",site="…",role="…",``), of its device-only one (``{device="…",``), its
interfaces, and each interface's tail (``ifIndex="…",…,ifAlias="…"}``) in one buffer, the
interface ``i``'s ending at offset ``ends[i]`` (and starting where the one before ends)."""


def encode_devices(pairs: Sequence[tuple[DeviceSnapshot, DeviceCounters]]) -> list[Device]:
    """The devices of ``pairs`` that answered, in order, with their label sets encoded."""
    devices: list[Device] = []
    for snapshot, _ in pairs:
        if not snapshot.up:
            continue  # a device that did not answer has no interface series
        info = snapshot.info
        device = encode_labels((("device", info.device), ("site", info.site), ("role", info.role)))
        only = encode_labels((("device", info.device),))
        table = snapshot.interfaces
        if not isinstance(table, InterfaceTable):  # rows made elsewhere (tests, benchmarks)
            table = InterfaceTable.from_samples(table)
        # One buffer of tails, not a bytes an interface: 25,000 small objects that live the
        # whole scrape are what fragmented the arenas.
        tails = bytearray()
        ends = array("I")
        for labels in table.label_rows():
            tails += _tail(*labels)
            ends.append(len(tails))
        devices.append((device[:-1] + b",", only[:-1] + b",", table, bytes(tails), ends))
    return devices


def _tail(index: int, name: str, descr: str, alias: str) -> Labels:
    pairs = (("ifIndex", str(index)), ("ifName", name), ("ifDescr", descr), ("ifAlias", alias))
    return encode_labels(pairs)[1:]


class InterfaceFamily(StreamedFamily):
    """One IF-MIB counter or gauge family over the scrape's devices: the column of that name
    in each device's table."""

    def __init__(self, spec: MetricSpec, devices: Sequence[Device]) -> None:
        # The rows' source must not refer to the family (a bound method would): the family
        # and its method were a reference cycle, which kept the scrape's devices, and so the
        # tables of the poll it read, alive after the scrape until a full collection of the
        # garbage collector (rare in a large agent): ~3.3 MiB of glibc heap a scrape at 500
        # devices, the steps of the agent's RSS under scrapes (bench/README.md, s27).
        super().__init__(
            spec.name, spec.help, spec.type, partial(_interface_rows, spec.name, devices)
        )
        self._devices = devices

    def chunks(self) -> Iterator[bytes]:
        # StreamedFamily.chunks over _rows, inlined: ~25,000 lines a family at 500 devices,
        # where a generator's tuple per line costs ~10 % of the scrape's CPU.
        wire_name, name = self.name.encode(), self.name
        chunk = bytearray()
        for head, _, table, blob, ends in self._devices:
            column = table.column(name)
            if column is None:
                continue
            values, base, mask = column
            start = 0
            for row, end in enumerate(ends):
                if mask is None or mask[base + row]:
                    value = values[base + row]
                    # A copy of the tail, freed with the line: a memoryview slice would be
                    # cheaper to make, but the garbage collector tracks memoryviews and ran
                    # ~600 times a scrape for them (the scrape's CPU +20 %, measured).
                    tail = blob[start:end]
                    if type(value) is int and -EXACT_LIMIT <= value <= EXACT_LIMIT:
                        chunk += b"%b%b%b %d\n" % (wire_name, head, tail, value)
                    else:
                        text = format_value(value).encode()
                        chunk += b"%b%b%b %b\n" % (wire_name, head, tail, text)
                start = end
            if len(chunk) >= CHUNK_BYTES:
                yield bytes(chunk)
                chunk = bytearray()
        if chunk:
            yield bytes(chunk)


class HighCapacityFamily(StreamedFamily):
    """``netwarden_if_high_capacity``: 1 for an interface read through the 64-bit ifHC*
    counters, 0 on the 32-bit fallback; labelled by device, ifIndex and ifName."""

    def __init__(self, spec: MetricSpec, devices: Sequence[Device]) -> None:
        # Not a bound method, as for InterfaceFamily: no cycle holding the scrape's devices.
        super().__init__(spec.name, spec.help, spec.type, partial(_high_capacity_rows, devices))


def _interface_rows(name: str, devices: Sequence[Device]) -> Iterator[Row]:
    """The rows of the interface family ``name``: the column of that name in each table."""
    for head, _, table, blob, ends in devices:
        column = table.column(name)
        if column is None:
            continue
        values, base, mask = column
        start = 0
        for row, end in enumerate(ends):
            if mask is None or mask[base + row]:
                yield head, blob[start:end], values[base + row]
            start = end


def _high_capacity_rows(devices: Sequence[Device]) -> Iterator[Row]:
    for _, only, table, _, _ in devices:
        for row, (index, if_name, _, _) in enumerate(table.label_rows()):
            # Encoded per line (a short-lived bytes) rather than kept: 2 MiB less held.
            name = escape_label_value(if_name).encode()
            tail = b'ifIndex="%d",ifName="%b"}' % (index, name)
            yield only, tail, 1 if table.high_capacity(row) else 0
