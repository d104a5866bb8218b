"""HTTP(S) GET probe: a small HTTP/1.1 client on asyncio streams that times each phase.

One connection per hop (``Connection: close``), redirects followed by hand so that every hop's
phases count. The phases run one at a time, so they add up to the probe's duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final
from urllib.parse import SplitResult, urljoin, urlsplit

from netwarden.agent.probes import http_wire
from netwarden.agent.probes.common import ProbeFailure, capped, connect, connect_reason, resolve
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
    ca_file: str | None = None  # PEM CA(s) to verify against instead of the system's store

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
    )


class _Phases:
    """Loop time spent per phase; entering a phase ends the one before it. The clock starts in
    the first phase, so every moment of the probe is in one phase and they add up exactly to
    its duration (measured from ``started``), however late the loop gets to each step."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.current: str | None = PHASES[0]
        self.started = self._since = loop.time()

    def enter(self, phase: str | None) -> float:
        """End the current phase and start ``phase`` (None: the probe is over); returns now."""
        now = self._loop.time()
        if self.current is not None:
            self.seconds[self.current] += now - self._since
        self.current, self._since = phase, now
        return now


class _Probe:
    """What one probe learnt so far; read for the result even when a hop failed."""

    def __init__(self, loop: asyncio.AbstractEventLoop, tls_verify: bool) -> None:
        self.phases = _Phases(loop)
        self.tls_verify = tls_verify
        self.context: ssl.SSLContext | None = None  # None: the shared one of tls_verify
        self.redirects = 0
        self.status = 0
        self.length = 0  # bytes of the last hop's body, counted past what was kept
        self.https = False
        self.days_left: float | None = None  # of the last hop's certificate, if it was https
        self.writers: list[asyncio.StreamWriter] = []


async def probe(target: HttpTarget, *, deadline: float) -> ProbeResult:
    """GET the target's URL within the deadline, following up to ``max_redirects`` redirects.

    Failures: dns, refused, unreachable, timeout, tls, http-status (also for too many
    redirects), body-mismatch, other (a malformed response). An invalid ``body_regex`` raises
    :class:`re.error`: it is a configuration error, not a property of the target."""
    deadline = capped(deadline, target.timeout)
    expect_status = target.expect_status
    pattern = re.compile(target.body_regex) if target.body_regex is not None else None
    loop = asyncio.get_running_loop()
    seen = _Probe(loop, target.tls_verify)
    began = seen.phases.started
    try:
        try:
            async with asyncio.timeout(deadline):
                if target.ca_file is not None and target.tls_verify:
                    seen.context = await asyncio.to_thread(_ca_context, target.ca_file)
                body = await _follow(seen, target.url, expect_status, target.max_redirects)
            reason, message = _judge(seen.status, body, expect_status, pattern)
        except ProbeFailure as exc:
            reason, message = exc.reason, exc.message
        except TimeoutError:
            reason = ProbeReason.timeout
            message = f"no answer within {deadline:g} s (in {seen.phases.current})"
        duration = seen.phases.enter(None) - began
    finally:
        await _settle(seen.writers)
    result = ProbeResult(reason is ProbeReason.ok, duration, reason, message)
    result.values = _values(seen)
    result.labelled = {PHASE_SECONDS: dict(seen.phases.seconds)}
    return result


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
        values[TLS_VERIFIED] = 1.0 if probe.tls_verify else 0.0
    return values


async def _fetch(probe: _Probe, url: str) -> tuple[int, dict[str, str], http_wire.Body]:
    """One hop: connect, send the GET, read the answer; the connection is closed after."""
    parts = _split(url)
    probe.https, probe.days_left, probe.status, probe.length = parts.scheme == "https", None, 0, 0
    port = parts.port or (443 if probe.https else 80)
    probe.phases.enter("resolve")
    info = await resolve(parts.hostname or "", port)
    probe.phases.enter("connect")
    sock = await connect(info)
    reader, writer = await _open(probe, sock, parts.hostname if probe.https else None)
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


async def _open(
    probe: _Probe, sock: socket.socket, tls_host: str | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Streams over the connected ``sock`` (which they then own), after TLS for ``tls_host``."""
    try:
        if tls_host is None:
            reader, writer = await asyncio.open_connection(sock=sock)
        else:
            probe.phases.enter("tls")
            context = probe.context or _context(probe.tls_verify)
            reader, writer = await _handshake(sock, tls_host, context)
    except BaseException:
        sock.close()  # asyncio closes it too, later; a second close is harmless
        raise
    probe.writers.append(writer)
    if tls_host is not None:
        probe.days_left = _days_left(writer)
    return reader, writer


async def _handshake(
    sock: socket.socket, host: str, context: ssl.SSLContext
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        return await asyncio.open_connection(sock=sock, ssl=context, server_hostname=host)
    except (ssl.SSLError, ssl.CertificateError, ConnectionError) as exc:
        raise ProbeFailure(ProbeReason.tls, f"TLS with {host}: {exc}") from exc


@functools.cache
def _context(verify: bool) -> ssl.SSLContext:
    # Built once per mode: loading the system CA store is blocking file I/O.
    if verify:
        return ssl.create_default_context()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _ca_context(ca_file: str) -> ssl.SSLContext:
    """A verifying context that trusts only the CA(s) in ``ca_file`` (blocking: file I/O)."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeFailure(ProbeReason.tls, f"cannot load CA file {ca_file}: {exc}") from exc


def _days_left(writer: asyncio.StreamWriter) -> float | None:
    """Days until the peer certificate's notAfter; read even when it was not verified."""
    ssl_object: ssl.SSLObject | None = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if not der:
        return None
    from cryptography import x509  # only https probes pay for importing it

    try:
        not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    except ValueError:
        return None
    return (not_after - datetime.now(UTC)).total_seconds() / 86400


async def _settle(writers: list[asyncio.StreamWriter]) -> None:
    """Wait (bounded) until aborted connections have released their sockets."""
    for writer in writers:
        writer.transport.abort()
        with contextlib.suppress(Exception):  # the connection's own error, or the bound
            await asyncio.wait_for(writer.wait_closed(), _CLOSE_WAIT)
