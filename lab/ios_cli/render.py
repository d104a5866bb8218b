"""Pure renderers: a :class:`DeviceSnapshot` in, IOS-formatted text out.

The layouts follow what ntc-templates' ``cisco_ios_show_*`` templates parse, so netmiko's
``use_textfsm=True`` yields complete records. Counters are printed exactly as the kernel reports
them (the same values net-snmp serves in IF-MIB); IOS fields without a Linux counterpart are 0.
"""

from __future__ import annotations

import ipaddress
import zlib
from collections.abc import Iterable

from netwarden.lab.ios_cli.model import DeviceSnapshot, InterfaceState

IOS_TRAIN = "15.9"
IOS_VERSION = f"{IOS_TRAIN}(3)M"
IMAGE = "NWLAB-UNIVERSALK9-M"
IMAGE_FILE = "nwlab-universalk9-mz.159-3.M.bin"
PLATFORM = "NWLAB"

_HARDWARE = {"veth": "Virtual Ethernet", "dummy": "Dummy Ethernet", "bridge": "Bridge"}
_UPTIME_UNITS = (
    ("year", 365 * 86400),
    ("week", 7 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)


def status(iface: InterfaceState) -> tuple[str, str]:
    """IOS (link status, line protocol) for an interface."""
    if not iface.admin_up:
        return "administratively down", "down"
    if not iface.carrier:
        return "down", "down"
    return "up", "up"


def dotted_mac(mac: str) -> str:
    """``52:54:00:12:34:56`` -> ``5254.0012.3456`` (the IOS notation)."""
    digits = mac.replace(":", "").lower()
    return ".".join(digits[i : i + 4] for i in range(0, 12, 4))


def netmask(prefixlen: int) -> str:
    """Prefix length -> dotted mask, as ``ip address`` in a running-config wants it."""
    return str(ipaddress.IPv4Network(f"0.0.0.0/{prefixlen}").netmask)


def format_uptime(seconds: float) -> str:
    """IOS style: every unit from the largest non-zero one down to minutes."""
    remaining = int(seconds)
    parts: list[str] = []
    for unit, size in _UPTIME_UNITS:
        count, remaining = divmod(remaining, size)
        if count or parts or unit == "minute":
            parts.append(f"{count} {unit}" + ("" if count == 1 else "s"))
    return ", ".join(parts)


def serial_number(hostname: str) -> str:
    """A stable, device-unique board ID derived from the hostname."""
    return f"NWL{zlib.crc32(hostname.encode()):08X}"


def _speed_text(mbps: int) -> str:
    if mbps > 1000 and mbps % 1000 == 0:
        return f"{mbps // 1000}Gb/s"
    return f"{mbps}Mb/s"


def _delay_usec(iface: InterfaceState) -> int:
    if iface.is_loopback:
        return 5000
    if iface.speed_mbps >= 1000:
        return 10
    return 100 if iface.speed_mbps >= 100 else 1000


def _hardware_lines(iface: InterfaceState) -> list[str]:
    if iface.is_loopback:
        return ["  Hardware is Loopback"]
    hardware = _HARDWARE.get(iface.kind, "Ethernet")
    if iface.mac is None:
        return [f"  Hardware is {hardware}"]
    mac = dotted_mac(iface.mac)
    return [f"  Hardware is {hardware}, address is {mac} (bia {mac})"]


def _header_lines(iface: InterfaceState) -> list[str]:
    link, protocol = status(iface)
    lines = [f"{iface.name} is {link}, line protocol is {protocol}"]
    lines += _hardware_lines(iface)
    if iface.description:
        lines.append(f"  Description: {iface.description}")
    if iface.addresses:
        first = iface.addresses[0]
        lines.append(f"  Internet address is {first.ip}/{first.prefixlen}")
    lines += [
        f"  MTU {iface.mtu} bytes, BW {iface.speed_mbps * 1000} Kbit/sec, "
        f"DLY {_delay_usec(iface)} usec, ",
        "     reliability 255/255, txload 1/255, rxload 1/255",
    ]
    encapsulation = "LOOPBACK" if iface.is_loopback else "ARPA"
    lines.append(f"  Encapsulation {encapsulation}, loopback not set")
    if not iface.is_loopback:
        duplex = "Full-duplex" if iface.full_duplex else "Half-duplex"
        media = "RJ45" if iface.kind == "ether" else "Virtual"
        lines.append(f"  {duplex}, {_speed_text(iface.speed_mbps)}, media type is {media}")
    return lines


def _counter_lines(iface: InterfaceState) -> list[str]:
    c = iface.counters
    # Rates need two samples over time; a one-shot view has none, so they read 0. Collectors
    # derive rates from the counters, as they do with SNMP.
    return [
        '  Last clearing of "show interface" counters never',
        f"  Input queue: 0/75/{c.rx_dropped}/0 (size/max/drops/flushes); "
        f"Total output drops: {c.tx_dropped}",
        "  Queueing strategy: fifo",
        "  Output queue: 0/40 (size/max)",
        "  5 minute input rate 0 bits/sec, 0 packets/sec",
        "  5 minute output rate 0 bits/sec, 0 packets/sec",
        f"     {c.rx_packets} packets input, {c.rx_bytes} bytes, {c.rx_missed_errors} no buffer",
        f"     0 runts, {c.rx_length_errors} giants, 0 throttles",
        f"     {c.rx_errors} input errors, {c.rx_crc_errors} CRC, {c.rx_frame_errors} frame, "
        f"{c.rx_over_errors} overrun, {c.rx_fifo_errors} ignored",
        f"     0 watchdog, {c.multicast} multicast, 0 pause input",
        f"     {c.tx_packets} packets output, {c.tx_bytes} bytes, {c.tx_fifo_errors} underruns",
        f"     {c.tx_errors} output errors, {c.collisions} collisions, 0 interface resets",
        f"     {c.rx_nohandler} unknown protocol drops",
        f"     {c.tx_carrier_errors} lost carrier, 0 no carrier, 0 pause output",
    ]


def show_interfaces(interfaces: Iterable[InterfaceState]) -> str:
    """``show interfaces`` for the given interfaces (all of them, or the one asked for)."""
    lines: list[str] = []
    for iface in interfaces:
        lines += _header_lines(iface) + _counter_lines(iface)
    return _join(lines)


def show_ip_interface_brief(interfaces: Iterable[InterfaceState]) -> str:
    """``show ip interface brief``: one row per interface, first IPv4 address."""
    row = "{:<22} {:<15} {:<3} {:<6} {:<21} {}"
    lines = [row.format("Interface", "IP-Address", "OK?", "Method", "Status", "Protocol")]
    for iface in interfaces:
        link, protocol = status(iface)
        address, method = "unassigned", "unset"
        if iface.addresses:
            address, method = iface.addresses[0].ip, "manual"
        lines.append(row.format(iface.name, address, "YES", method, link, protocol).rstrip())
    return _join(lines)


def show_version(hostname: str, snapshot: DeviceSnapshot) -> str:
    """``show version``: fixed platform facts plus the real uptime, interface count and MAC."""
    ethernets = [i for i in snapshot.interfaces if not i.is_loopback]
    lines = [
        f"Cisco IOS Software, {PLATFORM} Software ({IMAGE}), Version {IOS_VERSION}, "
        "RELEASE SOFTWARE (fc1)",
        "Technical Support: simulated device of the netwarden lab, not a Cisco product",
        "Compiled by netwarden",
        "",
        f"ROM: Bootstrap program is {PLATFORM} boot loader",
        "",
        f"{hostname} uptime is {format_uptime(snapshot.uptime_seconds)}",
        "System returned to ROM by power-on",
        f'System image file is "flash:{IMAGE_FILE}"',
        "",
        f"cisco {PLATFORM} ({snapshot.machine}) processor (revision 1.0)",
        f"Processor board ID {serial_number(hostname)}",
        f"{len(ethernets)} Ethernet interfaces",
    ]
    macs = [i.mac for i in ethernets if i.mac]
    if macs:
        lines.append(f"Base ethernet MAC Address       : {macs[0].lower()}")
    lines += ["", "Configuration register is 0x2102"]
    return _join(lines)


def _interface_config(iface: InterfaceState) -> list[str]:
    lines = [f"interface {iface.name}"]
    if iface.description:
        lines.append(f" description {iface.description}")
    if not iface.addresses:
        lines.append(" no ip address")
    for index, address in enumerate(iface.addresses):
        secondary = " secondary" if index else ""
        lines.append(f" ip address {address.ip} {netmask(address.prefixlen)}{secondary}")
    if not iface.admin_up:
        lines.append(" shutdown")
    lines.append("!")
    return lines


def show_running_config(hostname: str, interfaces: Iterable[InterfaceState]) -> str:
    """``show running-config`` built from the live interface state."""
    body = ["!", f"version {IOS_TRAIN}", "!", f"hostname {hostname}", "!"]
    for iface in interfaces:
        body += _interface_config(iface)
    body.append("end")
    text = _join(body)
    header = [
        "Building configuration...",
        "",
        f"Current configuration : {len(text.encode())} bytes",
    ]
    return _join(header) + text


def _join(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)
