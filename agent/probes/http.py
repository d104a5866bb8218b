"""HTTP(S) GET probe: a small HTTP/1.1 client on asyncio streams that times each phase.

One connection per hop (``Connection: close``), redirects followed by hand so that every hop's
phases count. The phases run one at a time, so they add up to the probe's duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import SplitResult, urljoin, urlsplit

from netwarden.agent.probes import http_tls, http_wire
from netwarden.agent.probes.common import (
    AddrInfo,
    ProbeFailure,
    capped,
    connect,
    connect_reason,
    lookup_timed_out,
    resolve,
)
from netwarden.agent.probes.resolver import Resolver
from netwarden.agent.probes.result import ProbeReason, ProbeResult

if TYPE_CHECKING:
    from netwarden.inventory.model import HttpCheck

PHASE_SECONDS: Final = "netwarden_probe_http_phase_seconds"
STATUS_CODE: Final = "netwarden_probe_http_status_code"
CONTENT_LENGTH: Final = "netwarden_probe_http_content_length_bytes"
REDIRECT_COUNT: Final = "netwarden_probe_http_redirects"
SSL: Final = "netwarden_probe_http_ssl"
TLS_DAYS_LEFT: Final = "netwarden_probe_tls_days_left"
TLS_VERIFIED: Final = "netwarden_probe_tls_verified"
TLS_VERIFY_ERROR: Final = "netwarden_probe_tls_verify_error_info"

PHASES: Final = ("resolve", "connect", "tls", "processing", "transfer")
REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_CLOSE_WAIT: Final = 1.0  # seconds to let an aborted connection release its socket


@dataclass(frozen=True)
class HttpTarget:
    """A GET of ``url``: success when the final status is ``expect_status`` (any 2xx when None)
    and, if given, ``body_regex`` matches the first MiB of the body (decoded as UTF-8)."""

    url: str
    expect_status: int | None = 200
    tls_verify: bool = True
    body_regex: str | None = None
    max_redirects: int = 5  # not followed when expect_status is itself a redirect status
    timeout: float | None = None  # seconds; shortens the caller's deadline
    ca_file: str | None = None  # PEM file of the CAs to trust instead of the system's

    @property
    def label(self) -> str:
        return self.url


def from_check(check: HttpCheck, interval: float) -> HttpTarget:
    """The target of an inventory service's ``http`` check."""
    return HttpTarget(
        check.url,
        check.expect_status,
        check.tls_verify,
        check.body_regex,
        check.max_redirects,
        check.timeout,
        check.ca_file,
    )


class _Phases:
    """Loop time spent per phase; entering a phase ends the one before it. The clock starts in
    ``resolve`` (URL parsing included) at ``began``, so the phases add up to the duration."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.current: str | None = "resolve"
        self.began = self._since = loop.time()

    def enter(self, phase: str | None) -> float:
        """Switch to ``phase`` (None: stop the clock); the loop time of the switch."""
        now = self._loop.time()
        if self.current is not None:
            self.seconds[self.current] += now - self._since
        self.current, self._since = phase, now
        return now


class _Probe:
    """What one probe learnt so far; read for the result even when a hop failed."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, target: HttpTarget, resolver: Resolver | None
    ) -> None:
        self.phases = _Phases(loop)
        self.tls_verify = target.tls_verify
        self.ca_file = target.ca_file
        self.resolver = resolver
        self.redirects = 0
        self.status = 0
        self.length = 0  # bytes of the last hop's body, counted past what was kept
        self.https = False
        self.host = ""  # of the last hop
        # Of the last hop, if it was https: the certificate's days left, whether it verified
        # (None: no handshake finished or failed yet), and why not.
        self.days_left: float | None = None
        self.verified: bool | None = None
        self.verify_error: str | None = None
        self.writers: list[asyncio.StreamWriter] = []

    def new_hop(self, https: bool, host: str) -> None:
        self.https, self.host, self.status, self.length = https, host, 0, 0
        self.days_left, self.verified, self.verify_error = None, None, None


async def probe(
    target: HttpTarget, *, deadline: float, resolver: Resolver | None = None
) -> ProbeResult:
    """GET the target's URL within the deadline, following up to ``max_redirects`` redirects.

    Failures: dns (also a lookup still unanswered at the deadline), refused, unreachable,
    timeout, tls, http-status (also for too many redirects), body-mismatch, other (a malformed
    response, an unusable ``ca_file``). An invalid ``body_regex`` raises :class:`re.error`: it
    is a configuration error, not a property of the target. ``resolver``: the process's by
    default."""
    deadline = capped(deadline, target.timeout)
    expect_status = target.expect_status
    pattern = re.compile(target.body_regex) if target.body_regex is not None else None
    loop = asyncio.get_running_loop()
    seen = _Probe(loop, target, resolver)
    began = seen.phases.began
    try:
        try:
            async with asyncio.timeout(deadline):
                body = await _follow(seen, target.url, expect_status, target.max_redirects)
            reason, message = _judge(seen.status, body, expect_status, pattern)
        except ProbeFailure as exc:
            reason, message = exc.reason, exc.message
        except TimeoutError:
            reason, message = _timed_out(seen, deadline)
        duration = seen.phases.enter(None) - began
    finally:
        await _settle(seen.writers)
    result = ProbeResult(reason is ProbeReason.ok, duration, reason, message)
    result.values = _values(seen)
    result.labelled = {PHASE_SECONDS: dict(seen.phases.seconds)}
    if seen.verify_error is not None:
        result.labelled[TLS_VERIFY_ERROR] = {seen.verify_error: 1.0}
    return result


def _timed_out(probe: _Probe, deadline: float) -> tuple[ProbeReason, str]:
    if probe.phases.current == "resolve":
        failure = lookup_timed_out(probe.host, deadline)
        return failure.reason, failure.message
    return ProbeReason.timeout, f"no answer within {deadline:g} s (in {probe.phases.current})"


async def _follow(
    probe: _Probe, url: str, expect_status: int | None, max_redirects: int
) -> http_wire.Body:
    follow = expect_status not in REDIRECTS
    for hop in range(max_redirects + 1):
        status, headers, body = await _fetch(probe, url)
        location = headers.get("location")
        if not follow or status not in REDIRECTS or location is None:
            return body
        if hop < max_redirects:
            url = urljoin(url, location)
            probe.redirects += 1
    raise ProbeFailure(ProbeReason.http_status, f"still redirected after {max_redirects} hops")


def _judge(
    status: int, body: http_wire.Body, expect: int | None, pattern: re.Pattern[str] | None
) -> tuple[ProbeReason, str]:
    if status != expect if expect is not None else not 200 <= status < 300:
        return ProbeReason.http_status, f"status {status}, expected {expect or '2xx'}"
    if pattern is not None and not pattern.search(body.kept.decode("utf-8", "replace")):
        return ProbeReason.body_mismatch, f"body does not match {pattern.pattern!r}"
    return ProbeReason.ok, ""


def _values(probe: _Probe) -> dict[str, float]:
    values = {
        STATUS_CODE: float(probe.status),
        CONTENT_LENGTH: float(probe.length),
        REDIRECT_COUNT: float(probe.redirects),
        SSL: 1.0 if probe.https else 0.0,
    }
    if probe.days_left is not None:
        values[TLS_DAYS_LEFT] = probe.days_left
    if probe.verified is not None:
        values[TLS_VERIFIED] = 1.0 if probe.verified else 0.0
    return values


async def _fetch(probe: _Probe, url: str) -> tuple[int, dict[str, str], http_wire.Body]:
    """One hop: connect, send the GET, read the answer; the connection is closed after."""
    parts = _split(url)
    probe.new_hop(parts.scheme == "https", parts.hostname or "")
    port = parts.port or (443 if probe.https else 80)
    probe.phases.enter("resolve")
    # The agent's own CA file first: if it is unusable, there is nothing to connect for.
    tls = http_tls.context(probe.tls_verify, probe.ca_file) if probe.https else None
    info = await resolve(probe.host, port, probe.resolver)
    probe.phases.enter("connect")
    sock = await connect(info)
    if tls is not None:
        reader, writer = await _open_tls(probe, sock, info, tls)
    else:
        reader, writer = await _own(probe, asyncio.open_connection(sock=sock), sock)
    try:
        probe.phases.enter("processing")
        writer.write(http_wire.request(parts))
        status, headers = await http_wire.read_head(reader, on_first_byte=_entering(probe))
        probe.status = status
        body = await http_wire.read_body(reader, status, headers, skip=status in REDIRECTS)
        probe.length = body.length
    except OSError as exc:
        raise ProbeFailure(connect_reason(exc), f"{url}: {exc!r}") from exc
    finally:
        writer.transport.abort()  # synchronous: also runs when the deadline cancels us
    return status, headers, body


def _entering(probe: _Probe) -> http_wire.Callback:
    def transfer() -> None:
        probe.phases.enter("transfer")

    return transfer


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError as exc:
        raise ProbeFailure(ProbeReason.other, f"bad URL {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeFailure(ProbeReason.other, f"not an http(s) URL: {url!r}")
    return parts


async def _open_tls(
    probe: _Probe, sock: socket.socket, info: AddrInfo, ctx: ssl.SSLContext
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TLS over the connected ``sock`` (which the streams then own), verified as the check
    asks. A certificate that fails verification is still read, over a second connection that
    only looks at it: its days left and why it failed are what an admin needs to fix it."""
    probe.phases.enter("tls")
    try:
        reader, writer = await _own(probe, _handshake(sock, probe.host, ctx), sock)
    except ssl.SSLCertVerificationError as exc:
        probe.verified, probe.verify_error = False, http_tls.verify_error(exc)
        probe.days_left = await _peek_days_left(probe, info)
        raise ProbeFailure(ProbeReason.tls, f"TLS with {probe.host}: {exc}") from exc
    except (ssl.SSLError, ConnectionError) as exc:
        probe.verified = False  # no certificate was verified: the handshake itself failed
        raise ProbeFailure(ProbeReason.tls, f"TLS with {probe.host}: {exc}") from exc
    probe.verified = probe.tls_verify
    probe.days_left = _peer_days_left(writer)
    return reader, writer


async def _peek_days_left(probe: _Probe, info: AddrInfo) -> float | None:
    """The days left of the certificate the server presents, read without verifying it."""
    try:
        sock = await connect(info)
        _, writer = await _own(probe, _handshake(sock, probe.host, http_tls.unverified()), sock)
    except (ProbeFailure, ssl.SSLError, ConnectionError):
        return None  # the failure to report is the first connection's
    days = _peer_days_left(writer)
    writer.transport.abort()
    return days


async def _handshake(
    sock: socket.socket, host: str, ctx: ssl.SSLContext
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(sock=sock, ssl=ctx, server_hostname=host)


async def _own(
    probe: _Probe,
    opening: Coroutine[Any, Any, tuple[asyncio.StreamReader, asyncio.StreamWriter]],
    sock: socket.socket,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The streams ``opening`` makes over ``sock``, closed with the probe whatever happens."""
    try:
        reader, writer = await opening
    except BaseException:
        sock.close()  # asyncio closes it too, later; a second close is harmless
        raise
    probe.writers.append(writer)
    return reader, writer


def _peer_days_left(writer: asyncio.StreamWriter) -> float | None:
    """Days until the peer certificate's notAfter; read even when it was not verified."""
    ssl_object: ssl.SSLObject | None = writer.get_extra_info("ssl_object")
    return http_tls.days_left(ssl_object.getpeercert(binary_form=True) if ssl_object else None)


async def _settle(writers: list[asyncio.StreamWriter]) -> None:
    """Wait (bounded) until aborted connections have released their sockets."""
    for writer in writers:
        writer.transport.abort()
        with contextlib.suppress(Exception):  # the connection's own error, or the bound
            await asyncio.wait_for(writer.wait_closed(), _CLOSE_WAIT)
