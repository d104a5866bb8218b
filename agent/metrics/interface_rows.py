"""The interface families of a scrape, written straight from the polls' snapshots.

A 500-device agent has ~25,000 interfaces and 17 families of one series per interface. Built
as lists (each interface's label set, then each family's values), a scrape held ~8 MiB of
small objects that the render thread allocated among the results the polls were storing at
the same time; freed, they left pymalloc's arenas fragmented, and each scrape added to the
agent's RSS (bench/README.md, "second look"). Here a family is a :class:`StreamedFamily` that
walks the devices and their interfaces when written; the label sets come from
:class:`WireLabels`, encoded once and kept from scrape to scrape while the labels hold (they
change a few times a year), so a line's only temporaries are its own bytes and its value.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterator, Sequence
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
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceInfo, DeviceSnapshot
from netwarden.agent.polling.snapshot import InterfaceSample as Interface

HIGH_CAPACITY: Final = "netwarden_if_high_capacity"

Device = tuple[Labels, Labels, Sequence[Interface], bytes, Sequence[int]]
"""One device that answered, for one scrape: the head of its label set
(``{device="…",site="…",role="…",``), of its device-only one (``{device="…",``), its
interfaces, and each interface's tail (``ifIndex="…",…,ifAlias="…"}``) in one buffer, the
interface ``i``'s ending at offset ``ends[i]`` (and starting where the one before ends)."""


class _Encoded:
    """The encoded labels of one device and what they were encoded from.

    The tails are one ``bytes`` a device (with an array of offsets), not one object an
    interface: a cache of 25,000 small objects, allocated by a scrape among the polls'
    objects, pinned pymalloc's arenas (measured: 4.2 MiB held took ~15 arenas), while a few
    kilobytes a device come from malloc, out of pymalloc's way."""

    __slots__ = ("blob", "ends", "head", "indexes", "info", "only", "texts")

    def __init__(self, info: DeviceInfo, interfaces: Sequence[Interface]) -> None:
        self.info = info
        device = encode_labels((("device", info.device), ("site", info.site), ("role", info.role)))
        self.head = device[:-1] + b","
        self.only = encode_labels((("device", info.device),))[:-1] + b","
        # What each tail was encoded from, for the next scrape to compare: the ifIndexes
        # packed, the texts as references (three an interface, flat: no tuple each).
        self.indexes = array("q", [interface.if_index for interface in interfaces])
        texts: list[str] = []
        blob = bytearray()
        ends = array("I")
        for interface in interfaces:
            texts += (interface.if_name, interface.if_descr, interface.if_alias)
            blob += _tail(interface)
            ends.append(len(blob))
        self.texts, self.blob, self.ends = texts, bytes(blob), ends

    def holds_for(self, info: DeviceInfo, interfaces: Sequence[Interface]) -> bool:
        """The labels still hold for these interfaces. The references kept are moved to the
        snapshot's own strings as they are compared, so that strings the poller replaced by
        equal ones (a label refresh) are not kept alive here."""
        texts, indexes = self.texts, self.indexes
        if info != self.info or len(indexes) != len(interfaces):
            return False
        at = 0
        for index, interface in zip(indexes, interfaces, strict=True):
            if index != interface.if_index:
                return False
            for text in (interface.if_name, interface.if_descr, interface.if_alias):
                kept = texts[at]
                if kept is not text:  # mostly the same object: the poller keeps its labels
                    if kept != text:
                        return False
                    texts[at] = text
                at += 1
        return True


def _tail(interface: Interface) -> Labels:
    pairs = (
        ("ifIndex", str(interface.if_index)),
        ("ifName", interface.if_name),
        ("ifDescr", interface.if_descr),
        ("ifAlias", interface.if_alias),
    )
    return encode_labels(pairs)[1:]


class WireLabels:
    """Each polled device's and interface's label sets as written on the wire, kept between
    scrapes (~170 bytes an interface) and re-encoded for a device only when its inventory
    labels or its interfaces' labels change. Safe for scrapes in several threads."""

    def __init__(self) -> None:
        self._devices: dict[str, _Encoded] = {}
        self._lock = threading.Lock()

    def devices(self, pairs: Sequence[tuple[DeviceSnapshot, DeviceCounters]]) -> list[Device]:
        """The devices of ``pairs`` that answered, in order, with their encoded labels."""
        out: list[Device] = []
        with self._lock:
            cache = self._devices
            for snapshot, _ in pairs:
                if not snapshot.up:
                    continue  # its series are gone; its cached labels wait for its return
                info, interfaces = snapshot.info, snapshot.interfaces
                encoded = cache.get(info.device)
                if encoded is None or not encoded.holds_for(info, interfaces):
                    encoded = cache[info.device] = _Encoded(info, interfaces)
                out.append((encoded.head, encoded.only, interfaces, encoded.blob, encoded.ends))
            # Devices no longer in the inventory: the cache never outgrows the fleet.
            if len(cache) > len(pairs):
                polled = {snapshot.info.device for snapshot, _ in pairs}
                self._devices = {name: e for name, e in cache.items() if name in polled}
        return out


class InterfaceFamily(StreamedFamily):
    """One IF-MIB counter or gauge family over the scrape's devices."""

    def __init__(self, spec: MetricSpec, devices: Sequence[Device], *, counters: bool) -> None:
        super().__init__(spec.name, spec.help, spec.type, self._rows)
        self._devices = devices
        self._counters = counters

    def _rows(self) -> Iterator[Row]:
        name, counters = self.name, self._counters
        for head, _, interfaces, blob, ends in self._devices:
            start = 0
            for interface, end in zip(interfaces, ends, strict=True):
                value = (interface.counters if counters else interface.gauges).get(name)
                if value is not None:
                    yield head, blob[start:end], value
                start = end

    def chunks(self) -> Iterator[bytes]:
        # StreamedFamily.chunks over _rows, inlined: ~25,000 lines a family at 500 devices,
        # where a generator's tuple per line costs ~10 % of the scrape's CPU.
        wire_name, name, counters = self.name.encode(), self.name, self._counters
        chunk = bytearray()
        for head, _, interfaces, blob, ends in self._devices:
            start = 0
            for interface, end in zip(interfaces, ends, strict=True):
                value = (interface.counters if counters else interface.gauges).get(name)
                if value is not None:
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
        super().__init__(spec.name, spec.help, spec.type, self._rows)
        self._devices = devices

    def _rows(self) -> Iterator[Row]:
        for _, only, interfaces, _, _ in self._devices:
            for interface in interfaces:
                # Encoded per line (a short-lived bytes) rather than kept: 2 MiB less held.
                name = escape_label_value(interface.if_name).encode()
                tail = b'ifIndex="%d",ifName="%b"}' % (interface.if_index, name)
                yield only, tail, 1 if interface.counter_bits == 64 else 0
