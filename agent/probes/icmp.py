"""The ICMP prober: N echo requests per target, spread over the interval, on ONE socket per
agent, with loss, RTT statistics and jitter per target (smokeping-style, not one packet).

The socket is an unprivileged ICMP datagram socket when ``net.ipv4.ping_group_range`` admits
the process's group, else a raw socket (needs CAP_NET_RAW). Replies are matched to requests by
(target address, sequence) plus a 16-byte token in the payload, since a datagram socket's
kernel rewrites the echo identifier to the socket's own; a raw socket also checks the
identifier, as it sees every ICMP message of the host. Receive times are the kernel's
(SO_TIMESTAMPNS), so a busy event loop does not inflate RTTs with its own delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import itertools
import os
import secrets
import socket
import struct
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from netwarden.agent.probes.icmp_packets import (
    DEST_UNREACHABLE,
    ECHO_REPLY,
    PAYLOAD_SIZE,
    TIME_EXCEEDED,
    Icmp,
    build_echo,
    jitter,
    parse,
    rtt_summary,
)
from netwarden.agent.probes.result import ProbeReason, ProbeResult

if TYPE_CHECKING:
    from netwarden.inventory.model import IcmpCheck

SocketKind = Literal["auto", "datagram", "raw"]
LOSS = "netwarden_probe_icmp_loss_ratio"
JITTER = "netwarden_probe_icmp_jitter_seconds"
SENT = "netwarden_probe_icmp_packets_sent"
RTT = "netwarden_probe_icmp_rtt_seconds"

_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python does not export it
_SOL_RAW, _ICMP_FILTER = 255, 1  # linux/icmp.h: a raw socket's mask of ICMP types to drop
_TIMESPEC = struct.Struct("@qq")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size)
_MAX_READS = 512  # datagrams per readable event, so a flood cannot starve the event loop
_RCVBUF = 4 * 1024 * 1024  # thousands of targets answering at once must not overflow it
_UNREACHABLE = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN})


class _Probe:
    """The packets of one ``ping`` call; RTTs by packet index, None while unanswered."""

    __slots__ = ("keys", "outstanding", "rtts", "sent_at", "timeout", "unreachable", "waiter")

    def __init__(self, count: int, timeout: float) -> None:
        self.rtts: list[float | None] = [None] * count
        self.sent_at = [0.0] * count  # wall clock, to compare with the kernel's receive stamp
        self.timeout = timeout
        self.keys: list[tuple[str, int]] = []
        self.outstanding = 0
        self.unreachable = ""
        self.waiter: asyncio.Future[None] | None = None

    def settle(self) -> None:
        self.outstanding -= 1
        if self.outstanding <= 0 and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


@dataclass(frozen=True)
class IcmpTarget:
    """``count`` echo requests to ``host``, ``spacing`` seconds apart, each waited for up to
    ``timeout`` seconds (the defaults are a one-off ping's: a second and a half at most)."""

    host: str
    count: int = 5
    spacing: float = 0.2
    timeout: float = 2.0

    @property
    def label(self) -> str:
        return self.host


def spread(interval: float, count: int, timeout: float) -> float:
    """The spacing that spreads ``count`` packets over ``interval``, leaving room for the last
    reply before the scheduler's deadline (90 % of the interval)."""
    return max(0.001, (interval * 0.9 - timeout) / count)


def from_check(check: IcmpCheck, interval: float) -> IcmpTarget:
    """The target of an inventory service's ``icmp`` check probed every ``interval`` seconds."""
    host = str(check.host)
    return IcmpTarget(
        host, check.count, spread(interval, check.count, check.timeout), check.timeout
    )


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _open_socket(kind: SocketKind) -> tuple[socket.socket, bool]:
    """The socket and whether it is raw (its datagrams then start with the IP header)."""
    if kind != "raw":
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), False
        except OSError:
            if kind == "datagram":
                raise
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    # Drop every ICMP type but ours in the kernel: the host's other ICMP costs us nothing.
    keep = (1 << ECHO_REPLY) | (1 << DEST_UNREACHABLE) | (1 << TIME_EXCEEDED)
    sock.setsockopt(_SOL_RAW, _ICMP_FILTER, struct.pack("I", ~keep & 0xFFFFFFFF))
    return sock, True


def _stamp(ancillary: list[tuple[int, int, bytes]]) -> float:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = _TIMESPEC.unpack_from(data)
            return float(sec + nsec * 1e-9)
    return time.time()


class IcmpPinger:
    """One ICMP socket shared by every ``ping`` of an agent; opened on first use.

    ``kind``: ``"auto"`` (datagram if allowed, else raw), ``"datagram"`` or ``"raw"``.
    ``payload_size``: bytes of echo payload (at least the 16-byte token; 56 as ping(8)).
    """

    def __init__(self, *, kind: SocketKind = "auto", payload_size: int = PAYLOAD_SIZE) -> None:
        self.kind = kind
        self.payload_size = payload_size
        self._sock: socket.socket | None = None
        self._raw = False
        self._ident = secrets.randbelow(0x10000)
        self._salt = os.urandom(8)
        self._counter = itertools.count(secrets.randbelow(2**62))
        self._seq = secrets.randbelow(0x10000)
        self._pending: dict[tuple[str, int], tuple[bytes, _Probe, int]] = {}

    @property
    def socket_kind(self) -> str | None:
        """``"datagram"`` or ``"raw"`` once open, else None."""
        if self._sock is None:
            return None
        return "raw" if self._raw else "datagram"

    def open(self) -> None:
        """Open the socket now (``ping`` does it on first use); OSError if not permitted."""
        if self._sock is not None:
            return
        loop = asyncio.get_running_loop()
        sock, self._raw = _open_socket(self.kind)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        # Capped by net.core.rmem_max; the default still works, only a flood of answers suffers.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        loop.add_reader(sock.fileno(), self._on_readable)
        self._sock = sock

    async def close(self) -> None:
        """Close the socket; pings still running end at once and count the rest as lost."""
        sock, self._sock = self._sock, None
        if sock is not None:
            asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()
        for _, probe, _ in list(self._pending.values()):
            if probe.waiter is not None:
                _wake(probe.waiter)
        self._pending.clear()

    async def ping(
        self,
        host: str,
        *,
        count: int = 20,
        spacing: float,
        timeout: float,  # noqa: ASYNC109 -- per packet, not the call's: asyncio.timeout cannot say it
    ) -> ProbeResult:
        """Send ``count`` echo requests to ``host``, ``spacing`` seconds apart, and wait up to
        ``timeout`` after each for its reply. Never raises for a target's failure.

        Values: loss ratio (replies missing of ``count`` sent), jitter (mean absolute difference
        of consecutive RTTs; 0 with under two replies), packets sent, and RTT min/avg/max/p50/p95
        (only when a reply came back). Success is at least one reply."""
        if count < 1 or spacing < 0 or timeout <= 0:
            raise ValueError("ping needs count >= 1, spacing >= 0 and timeout > 0")
        started = time.monotonic()
        address = await _resolve(host)
        if address is None:
            return ProbeResult(False, 0.0, ProbeReason.dns, f"cannot resolve {host}")
        try:
            self.open()
        except OSError as exc:
            message = f"cannot open an ICMP socket: {exc}"
            return ProbeResult(False, time.monotonic() - started, ProbeReason.other, message)
        probe = _Probe(count, timeout)
        try:
            await self._run(address, probe, count, spacing)
        finally:
            for key in probe.keys:
                entry = self._pending.get(key)
                if entry is not None and entry[1] is probe:
                    del self._pending[key]
        return _result(probe, count, time.monotonic() - started)

    async def _run(self, address: str, probe: _Probe, count: int, spacing: float) -> None:
        first = time.monotonic()
        for index in range(count):
            delay = first + index * spacing - time.monotonic()
            if index and delay > 0:
                await asyncio.sleep(delay)
            self._send(address, probe, index)
        if probe.outstanding <= 0 or self._sock is None:
            return
        loop = asyncio.get_running_loop()
        probe.waiter = loop.create_future()
        timer = loop.call_later(probe.timeout, _wake, probe.waiter)
        try:
            await probe.waiter
        finally:
            timer.cancel()

    def _next_seq(self, address: str) -> int:
        for _ in range(0x10000):  # a free number is found at once unless 65,536 are in flight
            self._seq = (self._seq + 1) & 0xFFFF
            if (address, self._seq) not in self._pending:
                return self._seq
        raise RuntimeError(f"65,536 echo requests to {address} in flight")

    def _send(self, address: str, probe: _Probe, index: int) -> None:
        sock = self._sock
        if sock is None:  # closed while this ping ran
            return
        seq = self._next_seq(address)
        token = self._salt + next(self._counter).to_bytes(8, "big")
        packet = build_echo(self._ident, seq, token, self.payload_size)
        # Stamped before sendto: on a fast path the kernel stamps the reply before it returns.
        probe.sent_at[index] = time.time()
        try:
            sock.sendto(packet, (address, 0))
        except BlockingIOError:
            return  # send buffer full: the packet is lost, and counted so
        except OSError as exc:
            if exc.errno in _UNREACHABLE:
                probe.unreachable = f"{address}: {exc.strerror or exc}"
            return
        key = (address, seq)
        self._pending[key] = (token, probe, index)
        probe.keys.append(key)
        probe.outstanding += 1

    def _on_readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for _ in range(_MAX_READS):
            try:
                data, ancillary, _flags, peer = sock.recvmsg(2048, _ANCILLARY)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # a queued socket error (e.g. a datagram socket's ICMP error)
            msg = parse(data, peer[0], ip_header=self._raw)
            if msg is not None:
                self._dispatch(msg, _stamp(ancillary))

    def _dispatch(self, msg: Icmp, received: float) -> None:
        if self._raw and msg.ident != self._ident:
            return  # another process's ping: a raw socket sees all of the host's ICMP
        key = (msg.peer, msg.seq)
        entry = self._pending.get(key)
        if entry is None:
            return  # late (its ping has ended) or not ours
        token, probe, index = entry
        # An unreachable may quote only 8 bytes of our request (RFC 792): no token to check.
        if msg.token != token and not (msg.unreachable and not msg.token):
            return
        del self._pending[key]
        if msg.unreachable:
            probe.unreachable = f"{msg.peer}: destination unreachable"
        else:
            rtt = received - probe.sent_at[index]
            if 0 <= rtt <= probe.timeout:  # a clock step makes it negative: not trustworthy
                probe.rtts[index] = rtt
        probe.settle()


async def _resolve(host: str) -> str | None:
    """``host``'s IPv4 address (a literal as it is), or None if it does not resolve."""
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, family=socket.AF_INET, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError):
        return None
    return str(infos[0][4][0]) if infos else None


def _result(probe: _Probe, count: int, duration: float) -> ProbeResult:
    rtts = [rtt for rtt in probe.rtts if rtt is not None]
    values = {LOSS: 1.0 - len(rtts) / count, JITTER: jitter(rtts), SENT: float(count)}
    if rtts:
        return ProbeResult(True, duration, values=values, labelled={RTT: rtt_summary(rtts)})
    if probe.unreachable:
        return ProbeResult(False, duration, ProbeReason.unreachable, probe.unreachable, values)
    return ProbeResult(False, duration, ProbeReason.loss, f"all {count} packets lost", values)


class IcmpProber:
    """The ICMP prober: one :class:`IcmpPinger` (one socket) shared by every ICMP probe."""

    def __init__(self, pinger: IcmpPinger) -> None:
        self.pinger = pinger

    async def probe(self, target: IcmpTarget, *, deadline: float) -> ProbeResult:
        """Ping the target. Its count, spacing and timeout bound the duration: the deadline
        does not cut a ping short (the replies still due would be lost, and counted so)."""
        return await self.pinger.ping(
            target.host, count=target.count, spacing=target.spacing, timeout=target.timeout
        )
