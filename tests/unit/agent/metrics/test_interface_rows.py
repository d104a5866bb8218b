"""What the scrape keeps between scrapes: each device's encoded interface labels, reused while
they hold (test_golden.py checks that what is written is right when they do not)."""

from __future__ import annotations

from dataclasses import replace

from netwarden.agent.metrics.interface_rows import WireLabels
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceSnapshot

from .synthetic import interface, snapshot


def _pair(device: str, *aliases: str) -> tuple[DeviceSnapshot, DeviceCounters]:
    ifaces = [interface(i, if_alias=alias) for i, alias in enumerate(aliases, start=1)]
    return snapshot(device, ifaces), DeviceCounters()


def _blobs(wire: WireLabels, pairs: list[tuple[DeviceSnapshot, DeviceCounters]]) -> list[bytes]:
    return [blob for _, _, _, blob, _ in wire.devices(pairs)]


def test_unchanged_labels_are_not_encoded_again() -> None:
    wire = WireLabels()
    first = _blobs(wire, [_pair("sw-1", "a", "b"), _pair("sw-2", "c")])
    # The next poll's snapshots: new objects, equal labels (new strings, as after a refresh).
    again = _blobs(wire, [_pair("sw-1", "a", "b"), _pair("sw-2", "c")])
    assert [a is b for a, b in zip(first, again, strict=True)] == [True, True]
    changed = _blobs(wire, [_pair("sw-1", "a", "b2"), _pair("sw-2", "c")])
    assert [a is b for a, b in zip(first, changed, strict=True)] == [False, True]
    assert changed[0].endswith(b'ifAlias="b2"}')


def test_the_kept_references_follow_the_pollers_strings() -> None:
    wire = WireLabels()
    old_snapshot, counters = _pair("sw-1", "uplink")
    wire.devices([(old_snapshot, counters)])
    new_snapshot, _ = _pair("sw-1", "".join(["up", "link"]))  # equal, another object
    assert new_snapshot.interfaces[0].if_alias is not old_snapshot.interfaces[0].if_alias
    wire.devices([(new_snapshot, counters)])
    kept = wire._devices["sw-1"].texts
    assert kept[2] is new_snapshot.interfaces[0].if_alias  # the old string can be freed


def test_devices_down_keep_their_labels_and_devices_gone_lose_them() -> None:
    wire = WireLabels()
    one, two = _pair("sw-1", "a"), _pair("sw-2", "b")
    first = _blobs(wire, [one, two])
    down = (replace(one[0], up=False), one[1])
    assert len(_blobs(wire, [down, two])) == 1  # a device down has no interface series
    assert _blobs(wire, [one, two])[0] is first[0]  # back: its labels were kept
    wire.devices([two])
    assert set(wire._devices) == {"sw-2"}


def test_another_device_with_the_same_interfaces_has_its_own_labels() -> None:
    wire = WireLabels()
    heads = [head for head, *_ in wire.devices([_pair("sw-1", "a"), _pair("sw-2", "a")])]
    assert heads == [
        b'{device="sw-1",site="so-khcn",role="switch",',
        b'{device="sw-2",site="so-khcn",role="switch",',
    ]
