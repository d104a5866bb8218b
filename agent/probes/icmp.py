"""The ICMP prober: N echo requests per target, spread over the interval, on ONE socket per
address family per agent (ICMPv4, ICMPv6), with loss, RTT statistics and jitter per target
(smokeping-style, not one packet).

The sockets are unprivileged ICMP datagram sockets when ``net.ipv4.ping_group_range`` admits
the process's group, else raw sockets (need CAP_NET_RAW); see ``icmp_socket.py``. Replies are
matched to requests by (target address, sequence) plus a 16-byte token in the payload, since a
datagram socket's kernel rewrites the echo identifier to the socket's own; a raw socket also
checks the identifier, as it sees every ICMP message of the host. Receive times are the
kernel's (SO_TIMESTAMPNS), so a busy event loop does not inflate RTTs with its own delay.

A target's name is looked up on the resolver's own threads (``resolver.py``), bounded by the
probe's deadline; an address (IPv4 or IPv6) is used as it is.
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
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from netwarden.agent.probes.icmp_packets import (
    PAYLOAD_SIZE,
    Icmp,
    build_echo,
    jitter,
    rtt_summary,
)
from netwarden.agent.probes.icmp_socket import (
    ANCILLARY,
    FAMILY_NAMES,
    IcmpSocket,
    SocketKind,
    open_icmp,
    stamp,
)
from netwarden.agent.probes.resolver import Resolver, default_resolver
from netwarden.agent.probes.result import ProbeReason, ProbeResult

if TYPE_CHECKING:
    from netwarden.inventory.model import IcmpCheck

__all__ = ["IcmpPinger", "IcmpProber", "IcmpTarget", "SocketKind", "from_check", "spread"]

LOSS = "netwarden_probe_icmp_loss_ratio"
JITTER = "netwarden_probe_icmp_jitter_seconds"
SENT = "netwarden_probe_icmp_packets_sent"
RTT = "netwarden_probe_icmp_rtt_seconds"
LOOKUP_DEADLINE: Final = 5.0  # seconds a name lookup may take when the caller sets no deadline

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


def _address(host: str) -> tuple[str, int] | None:
    """An address as the kernel reports peers (IPv6 compressed), with its family; None for a
    name."""
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        return None
    family = socket.AF_INET6 if parsed.version == 6 else socket.AF_INET
    return str(parsed), family


class IcmpPinger:
    """The ICMP sockets (one per address family) shared by every ``ping`` of an agent; each
    opened on first use.

    ``kind``: ``"auto"`` (datagram if allowed, else raw), ``"datagram"`` or ``"raw"``.
    ``payload_size``: bytes of echo payload (at least the 16-byte token; 56 as ping(8)).
    ``resolver``: where names are looked up (the process's by default).
    """

    def __init__(
        self,
        *,
        kind: SocketKind = "auto",
        payload_size: int = PAYLOAD_SIZE,
        resolver: Resolver | None = None,
    ) -> None:
        self.kind = kind
        self.payload_size = payload_size
        self.resolver = resolver
        self._sockets: dict[int, IcmpSocket] = {}
        self._ident = secrets.randbelow(0x10000)
        self._salt = os.urandom(8)
        self._counter = itertools.count(secrets.randbelow(2**62))
        self._seq = secrets.randbelow(0x10000)
        self._pending: dict[tuple[str, int], tuple[bytes, _Probe, int]] = {}

    @property
    def socket_kind(self) -> str | None:
        """``"datagram"`` or ``"raw"`` once a socket is open (the ICMPv4 one's first), else
        None."""
        opened = self._sockets.get(socket.AF_INET) or self._sockets.get(socket.AF_INET6)
        return opened.kind if opened is not None else None

    def socket_of(self, family: int) -> socket.socket | None:
        """The open socket of ``family`` (``socket.AF_INET`` or ``AF_INET6``), if any."""
        opened = self._sockets.get(family)
        return opened.sock if opened is not None else None

    def open(self, family: int = socket.AF_INET) -> None:
        """Open the socket of ``family`` now (``ping`` does it on first use); OSError if not
        permitted."""
        if family in self._sockets:
            return
        loop = asyncio.get_running_loop()
        opened = open_icmp(family, self.kind)
        # Capped by net.core.rmem_max; the default still works, only a flood of answers suffers.
        with contextlib.suppress(OSError):
            opened.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        loop.add_reader(opened.sock.fileno(), self._on_readable, opened)
        self._sockets[family] = opened

    async def close(self) -> None:
        """Close the sockets; pings still running end at once and count the rest as lost."""
        opened, self._sockets = list(self._sockets.values()), {}
        for each in opened:
            asyncio.get_running_loop().remove_reader(each.sock.fileno())
            each.sock.close()
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
        lookup_deadline: float = LOOKUP_DEADLINE,
    ) -> ProbeResult:
        """Send ``count`` echo requests to ``host``, ``spacing`` seconds apart, and wait up to
        ``timeout`` after each for its reply. Never raises for a target's failure. A name is
        looked up first, for at most ``lookup_deadline`` seconds.

        Values: loss ratio (replies missing of ``count`` sent), jitter (mean absolute difference
        of consecutive RTTs; 0 with under two replies), packets sent, and RTT min/avg/max/p50/p95
        (only when a reply came back). Success is at least one reply."""
        if count < 1 or spacing < 0 or timeout <= 0:
            raise ValueError("ping needs count >= 1, spacing >= 0 and timeout > 0")
        started = time.monotonic()
        found = await self._resolve(host, lookup_deadline)
        if isinstance(found, str):
            return ProbeResult(False, time.monotonic() - started, ProbeReason.dns, found)
        address, family = found
        try:
            self.open(family)
        except OSError as exc:
            message = f"cannot open an {FAMILY_NAMES[family]} socket: {exc.strerror or exc}"
            return ProbeResult(False, time.monotonic() - started, ProbeReason.other, message)
        probe = _Probe(count, timeout)
        try:
            await self._run(address, family, probe, spacing)
        finally:
            for key in probe.keys:
                entry = self._pending.get(key)
                if entry is not None and entry[1] is probe:
                    del self._pending[key]
        return _result(probe, count, time.monotonic() - started)

    async def _resolve(self, host: str, deadline: float) -> tuple[str, int] | str:
        """``host``'s address and family, or why there is none (a one-line message)."""
        literal = _address(host)
        if literal is not None:
            return literal
        resolver = self.resolver or default_resolver()
        try:
            async with asyncio.timeout(deadline):
                rows = await resolver.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
        except TimeoutError:
            return f"{host}: no answer from the resolver within {deadline:g} s"
        except socket.gaierror as exc:
            return f"{host}: {exc.strerror or exc}"
        for family, _, _, _, sockaddr in rows:
            found = _address(str(sockaddr[0]))
            if family in FAMILY_NAMES and found is not None:
                return found
        return f"{host}: no IPv4 or IPv6 address"

    async def _run(self, address: str, family: int, probe: _Probe, spacing: float) -> None:
        first = time.monotonic()
        for index in range(len(probe.rtts)):
            delay = first + index * spacing - time.monotonic()
            if index and delay > 0:
                await asyncio.sleep(delay)
            self._send(address, family, probe, index)
        if probe.outstanding <= 0 or family not in self._sockets:
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

    def _send(self, address: str, family: int, probe: _Probe, index: int) -> None:
        opened = self._sockets.get(family)
        if opened is None:  # closed while this ping ran
            return
        seq = self._next_seq(address)
        token = self._salt + next(self._counter).to_bytes(8, "big")
        v6 = family == socket.AF_INET6
        packet = build_echo(self._ident, seq, token, self.payload_size, v6=v6)
        # Stamped before sendto: on a fast path the kernel stamps the reply before it returns.
        probe.sent_at[index] = time.time()
        try:
            opened.sock.sendto(packet, (address, 0))
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

    def _on_readable(self, opened: IcmpSocket) -> None:
        if self._sockets.get(opened.family) is not opened:
            return
        for _ in range(_MAX_READS):
            try:
                data, ancillary, _flags, peer = opened.sock.recvmsg(2048, ANCILLARY)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # a queued socket error (e.g. a datagram socket's ICMP error)
            msg = opened.parse(data, _peer(peer[0]))
            if msg is not None:
                self._dispatch(msg, stamp(ancillary), raw=opened.raw)

    def _dispatch(self, msg: Icmp, received: float, *, raw: bool = False) -> None:
        if raw and msg.ident != self._ident:
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


def _peer(host: str) -> str:
    """The sender as the pending table keys it (the kernel already writes IPv6 compressed)."""
    found = _address(host)
    return found[0] if found is not None else host


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
        does not cut a ping short (the replies still due would be lost, and counted so); it
        bounds the lookup of a name."""
        return await self.pinger.ping(
            target.host,
            count=target.count,
            spacing=target.spacing,
            timeout=target.timeout,
            lookup_deadline=deadline,
        )
