"""The scapy :class:`~netwarden.agent.actions.tracer.Tracer`: the agent's only scapy import.

ICMP echo requests with TTL 1..N leave at once on a raw IP socket (the kernel routes them, as
``traceroute -I`` does); routers answer time-exceeded, the destination an echo reply. scapy
pairs each answer with its request by the quoted header. Importing scapy takes about 1.7 s
and ``sr`` blocks, so both happen in this adapter's one worker thread, when a step runs.
Raw sockets need root or CAP_NET_RAW (the agent's service has it).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from netwarden.agent.actions.tracer import Answer, TraceError

_TIME_EXCEEDED, _ECHO_REPLY, _UNREACHABLE = 11, 0, 3


class ScapyTracer:
    """One trace at a time per agent: a traceroute is a rare diagnostic, not a poll."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="traceroute")

    async def trace(self, address: str, max_hops: int, wait: float) -> list[Answer]:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, _trace, address, max_hops, wait)
        except ImportError:
            raise TraceError("traceroute needs scapy (pip install scapy)") from None
        except PermissionError:
            raise TraceError("traceroute needs a raw socket (root or CAP_NET_RAW)") from None
        except OSError as exc:
            raise TraceError(f"traceroute to {address}: {exc.strerror or exc}") from exc

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _trace(address: str, max_hops: int, wait: float) -> list[Answer]:
    """Blocking: send the probes, wait ``wait`` s after the last, read the answers."""
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # no warnings on import
    from scapy.layers.inet import ICMP, IP
    from scapy.sendrecv import sndrcv
    from scapy.supersocket import L3RawSocket

    ident = secrets.randbelow(0x10000)
    probes = [IP(dst=address, ttl=ttl) / ICMP(id=ident, seq=ttl) for ttl in range(1, max_hops + 1)]
    sock = L3RawSocket()
    try:
        answered: Any
        answered, _ = sndrcv(sock, probes, timeout=wait, verbose=0)
    finally:
        sock.close()
    found = []
    for sent, reply in answered:
        kind = int(reply[ICMP].type)
        if kind not in (_TIME_EXCEEDED, _ECHO_REPLY, _UNREACHABLE):
            continue
        rtt = max(0.0, float(reply.time) - float(sent.sent_time))
        # An unreachable from the destination itself ends the path as a reply does.
        final = kind == _ECHO_REPLY or reply[IP].src == sent[IP].dst
        found.append(Answer(int(sent[IP].ttl), str(reply[IP].src), rtt, final))
    return found
