"""Read the device namespace's real interfaces: iproute2 JSON plus ``/sys/class/net``.

The CLI process runs inside the device's network namespace (sshd was started there), so plain
``ip`` sees the device's links. ``/sys`` is different: it shows the namespace of whoever mounted
it. ``ip netns exec`` remounts it, but a process entered with ``nsenter --net`` would read the
host's counters for a same-named interface. Each sysfs read is therefore checked against the
netlink ifindex, and the netlink ``stats64`` block (the same kernel counters) is used otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from netwarden.errors import LabError
from netwarden.lab.ios_cli.model import Address, Counters, DeviceSnapshot, InterfaceState

FALLBACK_SPEED_MBPS = 1000
# veth's driver always reports 10 Gb/s (what net-snmp's ethtool query gets), but sysfs hides
# the speed of a down link; keep it stable so `shutdown` does not also change the bandwidth.
_KIND_SPEED_MBPS = {"veth": 10000}
_IP_TIMEOUT_S = 5.0
# Counters field -> (stats64 direction, stats64 key); the field name is the sysfs file name.
_STATS64 = {
    "rx_bytes": ("rx", "bytes"),
    "tx_bytes": ("tx", "bytes"),
    "rx_packets": ("rx", "packets"),
    "tx_packets": ("tx", "packets"),
    "rx_errors": ("rx", "errors"),
    "tx_errors": ("tx", "errors"),
    "rx_dropped": ("rx", "dropped"),
    "tx_dropped": ("tx", "dropped"),
    "multicast": ("rx", "multicast"),
    "collisions": ("tx", "collisions"),
    "rx_crc_errors": ("rx", "crc_errors"),
    "rx_frame_errors": ("rx", "frame_errors"),
    "rx_over_errors": ("rx", "over_errors"),
    "rx_fifo_errors": ("rx", "fifo_errors"),
    "rx_missed_errors": ("rx", "missed_errors"),
    "rx_length_errors": ("rx", "length_errors"),
    "tx_fifo_errors": ("tx", "fifo_errors"),
    "tx_carrier_errors": ("tx", "carrier_errors"),
    "rx_nohandler": ("rx", "nohandler"),
}

RunIp = Callable[[list[str]], str]


def run_ip(args: list[str]) -> str:
    """Run ``ip ARGS`` and return stdout; failures become :class:`LabError`."""
    try:
        done = subprocess.run(
            ["ip", *args], capture_output=True, text=True, timeout=_IP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"cannot run ip: {exc}") from exc
    if done.returncode != 0:
        raise LabError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


class SysfsNet:
    """``/sys/class/net`` (or a copy of its layout under another root, for tests)."""

    def __init__(self, root: Path = Path("/sys/class/net")) -> None:
        self.root = root

    def read_int(self, ifname: str, name: str) -> int | None:
        """One integer attribute, ``None`` when absent or unreadable (e.g. speed of a dummy)."""
        try:
            return int((self.root / ifname / name).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None

    def read_text(self, ifname: str, name: str) -> str | None:
        try:
            return (self.root / ifname / name).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None

    def belongs_to(self, ifname: str, ifindex: int) -> bool:
        """True when this sysfs shows *our* ``ifname`` (same ifindex as netlink says)."""
        return self.read_int(ifname, "ifindex") == ifindex


class NamespaceReader:
    """Snapshots of the current network namespace's interfaces."""

    def __init__(self, run: RunIp = run_ip, sysfs: SysfsNet | None = None) -> None:
        self._run = run
        self._sysfs = sysfs or SysfsNet()

    def snapshot(self) -> DeviceSnapshot:
        """Read all links, addresses and counters now."""
        try:
            links = json.loads(self._run(["-j", "-s", "-s", "-d", "addr", "show"]))
        except json.JSONDecodeError as exc:
            raise LabError(f"ip printed invalid JSON: {exc}") from exc
        interfaces = tuple(self._interface(link) for link in links)
        return DeviceSnapshot(
            uptime_seconds=_uptime(), machine=os.uname().machine, interfaces=interfaces
        )

    def _interface(self, link: Mapping[str, Any]) -> InterfaceState:
        name = str(link["ifname"])
        ifindex = int(link["ifindex"])
        flags = set(link.get("flags", []))
        own_sysfs = self._sysfs.belongs_to(name, ifindex)
        kind = _kind(link)
        default_speed = _KIND_SPEED_MBPS.get(kind, FALLBACK_SPEED_MBPS)
        return InterfaceState(
            name=name,
            ifindex=ifindex,
            kind=kind,
            mac=link.get("address") if link.get("link_type") == "ether" else None,
            mtu=int(link.get("mtu", 1500)),
            admin_up="UP" in flags,
            carrier="LOWER_UP" in flags,
            speed_mbps=self._speed(name, default_speed) if own_sysfs else default_speed,
            full_duplex=not own_sysfs or self._sysfs.read_text(name, "duplex") != "half",
            addresses=_ipv4_addresses(link),
            description=str(link.get("ifalias", "")),
            counters=self._counters(name, link) if own_sysfs else stats64_counters(link),
        )

    def _speed(self, name: str, default: int) -> int:
        # Down links and dummy/lo raise EINVAL, a NIC without link reports -1.
        speed = self._sysfs.read_int(name, "speed")
        return speed if speed is not None and speed > 0 else default

    def _counters(self, name: str, link: Mapping[str, Any]) -> Counters:
        fallback = stats64_counters(link)
        values = {}
        for field in _STATS64:
            value = self._sysfs.read_int(name, f"statistics/{field}")
            values[field] = getattr(fallback, field) if value is None else value
        return Counters(**values)


def stats64_counters(link: Mapping[str, Any]) -> Counters:
    """Counters from the ``stats64`` block of ``ip -j -s -s link`` (0 where absent)."""
    stats = link.get("stats64", {})
    return Counters(
        **{
            field: int(stats.get(direction, {}).get(key, 0))
            for field, (direction, key) in _STATS64.items()
        }
    )


def _kind(link: Mapping[str, Any]) -> str:
    if link.get("link_type") == "loopback":
        return "loopback"
    return str(link.get("linkinfo", {}).get("info_kind", "ether"))


def _ipv4_addresses(link: Mapping[str, Any]) -> tuple[Address, ...]:
    return tuple(
        Address(ip=str(a["local"]), prefixlen=int(a["prefixlen"]))
        for a in link.get("addr_info", [])
        if a.get("family") == "inet"
    )


def _uptime() -> float:
    try:
        return float(Path("/proc/uptime").read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
