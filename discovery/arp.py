"""ARP sweep of the local segment with scapy: finds hosts that ignore ping (printers, cameras).

The only module that imports scapy, and only inside :func:`_srp`, when a sweep really runs:
``import scapy.all`` takes about 1.7 s. ARP works only on a segment this namespace is
connected to, so the interface is the one whose connected route contains the whole CIDR
(:mod:`.local`, read without scapy); otherwise the sweep is skipped
with a note. Raw frames need root (CAP_NET_RAW). scapy's errors are mapped here to a note,
since a failed ARP sweep must not stop the rest of discovery.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netwarden.discovery.local import ROUTES, connected_interface

SKIPPED_NOT_LOCAL = "ARP skipped: not on a local segment"


@dataclass(slots=True)
class ArpResult:
    """Addresses that answered (address -> MAC) and a note on what the sweep did."""

    found: dict[str, str] = field(default_factory=dict)
    note: str = ""


class ScapyArp:
    """The real ARP sweeper; ``routes`` is where the routing table is read from."""

    def __init__(self, routes: Path = ROUTES) -> None:
        self.routes = routes

    async def sweep(self, network: ipaddress.IPv4Network, *, timeout: float) -> ArpResult:  # noqa: ASYNC109
        """ARP-request every address of ``network`` and wait ``timeout`` s for the replies."""
        try:
            iface = connected_interface(network, self.routes.read_text(encoding="ascii"))
        except OSError as exc:
            return ArpResult(note=f"ARP skipped: cannot read the routing table ({exc.strerror})")
        if iface is None:
            return ArpResult(note=SKIPPED_NOT_LOCAL)
        if os.geteuid() != 0:
            return ArpResult(note=f"ARP skipped: sending raw frames on {iface} needs root")
        try:
            found = await asyncio.to_thread(_srp, str(network), iface, timeout)
        except ImportError:
            return ArpResult(note="ARP skipped: scapy is not installed (pip install scapy)")
        except Exception as exc:  # the seam: any scapy failure becomes a note
            return ArpResult(note=f"ARP failed on {iface}: {type(exc).__name__}: {exc}")
        return ArpResult(found, f"ARP on {iface}: {len(found)} answered")


def _srp(pdst: str, iface: str, timeout: float) -> dict[str, str]:
    """Blocking: one ARP who-has per address, broadcast on ``iface``; address -> MAC."""
    # Lazily: importing scapy takes ~1.7 s, paid only when an ARP sweep really runs.
    from scapy.config import conf
    from scapy.layers.l2 import ARP, Ether
    from scapy.sendrecv import srp

    conf.verb = 0
    answered: Any
    answered, _ = srp(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=pdst), iface=iface, timeout=timeout)
    found: dict[str, str] = {}
    for _, reply in answered:
        found.setdefault(str(reply[ARP].psrc), str(reply[ARP].hwsrc))
    return found
