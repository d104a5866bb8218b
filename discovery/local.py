"""What this network namespace is connected to, read from /proc (no scapy, no subprocess).

``/proc/net/route`` and ``/proc/net/fib_trie`` describe the namespace of the reading process,
so ``ip netns exec NS netwarden inventory discover`` sees that namespace's segments.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
from pathlib import Path

ROUTES = Path("/proc/net/route")
FIB_TRIE = Path("/proc/net/fib_trie")
_RTF_UP, _RTF_GATEWAY = 0x1, 0x2
_LEAF = re.compile(r"\|-- (\d+\.\d+\.\d+\.\d+)$")


def _address(hex_text: str) -> ipaddress.IPv4Address:
    # /proc/net/route prints the kernel's u32 in host byte order as hex.
    return ipaddress.IPv4Address(socket.inet_ntoa(struct.pack("=I", int(hex_text, 16))))


def connected_interface(network: ipaddress.IPv4Network, routes_text: str) -> str | None:
    """The interface whose directly connected route (no gateway) contains all of ``network``,
    from the text of ``/proc/net/route``; None if the network is not on a local segment."""
    best: tuple[int, str] | None = None
    for line in routes_text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 8 or cols[0] in ("lo", "*"):
            continue
        try:
            flags = int(cols[3], 16)
            dest, mask = _address(cols[1]), _address(cols[7])
            connected = ipaddress.IPv4Network(f"{dest}/{mask}")
        except (ValueError, struct.error):
            continue
        if not flags & _RTF_UP or flags & _RTF_GATEWAY or connected.prefixlen == 0:
            continue
        # The most specific connected route wins, as the kernel would choose.
        if network.subnet_of(connected) and (best is None or connected.prefixlen > best[0]):
            best = (connected.prefixlen, cols[0])
    return None if best is None else best[1]


def local_addresses(fib_trie_text: str) -> frozenset[str]:
    """The IPv4 addresses of this namespace (``/32 host LOCAL`` leaves of the FIB trie)."""
    found: set[str] = set()
    leaf: str | None = None
    for line in fib_trie_text.splitlines():
        text = line.strip()
        match = _LEAF.match(text)
        if match is not None:
            leaf = match.group(1)
        elif leaf is not None and text == "/32 host LOCAL":
            found.add(leaf)
    return frozenset(found)


def read_local_addresses(path: Path = FIB_TRIE) -> frozenset[str]:
    """:func:`local_addresses` of this namespace; empty if /proc cannot be read."""
    try:
        return local_addresses(path.read_text(encoding="ascii"))
    except OSError:
        return frozenset()
