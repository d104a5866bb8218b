"""HTTP/1.1 on the wire for the HTTP probe: the GET request, the response head, the body
(Content-Length, chunked, or up to the close). Malformed answers are ``ProbeFailure(other)``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final
from urllib.parse import SplitResult

from netwarden.agent.probes.common import ProbeFailure
from netwarden.agent.probes.result import ProbeReason

BODY_LIMIT: Final = 1 << 20  # bytes kept for the regex; the rest is only counted
_READ: Final = 65536
_MAX_CHUNKS: Final = 1 << 20  # the deadline bounds time; this bounds a stream of tiny chunks
_MAX_TRAILERS: Final = 100
_NO_BODY: Final = frozenset({204, 304})

Callback = Callable[[], None]


class Body:
    """The first :data:`BODY_LIMIT` bytes of a body and its full length."""

    def __init__(self) -> None:
        self.kept = bytearray()
        self.length = 0

    def add(self, data: bytes) -> None:
        self.length += len(data)
        room = BODY_LIMIT - len(self.kept)
        if room > 0:
            self.kept += data[:room]


def _malformed(message: str) -> ProbeFailure:
    return ProbeFailure(ProbeReason.other, message)


def request(parts: SplitResult) -> bytes:
    """A GET for ``parts`` that asks the server to close after answering."""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc.rpartition("@")[2]  # never send credentials in the Host header
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: netwarden-probe\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode()


async def read_head(
    reader: asyncio.StreamReader, *, on_first_byte: Callback
) -> tuple[int, dict[str, str]]:
    """Status and headers (lower-case names, the last of repeated ones); ``on_first_byte``
    is called as the first byte arrives, which ends the server's processing time."""
    try:
        first = await reader.readexactly(1)
        on_first_byte()
        head = first + await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise _malformed("connection closed before a complete response head") from exc
    except asyncio.LimitOverrunError as exc:
        raise _malformed("response head too long") from exc
    return _parse_head(head.decode("latin-1"))


def _parse_head(head: str) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.split("\r\n")
    version, _, rest = status_line.partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/") or not (code.isascii() and code.isdigit()):
        raise _malformed(f"not an HTTP response: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return int(code), headers


async def read_body(
    reader: asyncio.StreamReader, status: int, headers: dict[str, str], *, skip: bool
) -> Body:
    """The body as framed by ``headers``; empty when ``skip`` or the status has none."""
    body = Body()
    if skip or status in _NO_BODY or status < 200:
        return body
    length = headers.get("content-length")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        await _read_chunked(reader, body)
    elif length is not None:
        if not (length.isascii() and length.isdigit()):
            raise _malformed(f"bad Content-Length {length[:40]!r}")
        await _read_exactly(reader, int(length), body)
    else:
        while data := await reader.read(_READ):  # ends at the close; the deadline bounds it
            body.add(data)
    return body


async def _read_exactly(reader: asyncio.StreamReader, size: int, body: Body) -> None:
    left = size
    while left > 0:  # every pass consumes at least one byte or ends
        data = await reader.read(min(left, _READ))
        if not data:
            raise _malformed(f"body ended {left} bytes short")
        body.add(data)
        left -= len(data)


async def _read_chunked(reader: asyncio.StreamReader, body: Body) -> None:
    for _ in range(_MAX_CHUNKS):
        size = _chunk_size(await _line(reader))
        if size == 0:
            await _skip_trailers(reader)
            return
        await _read_exactly(reader, size, body)
        if await _line(reader):
            raise _malformed("chunk not followed by CRLF")
    raise _malformed(f"more than {_MAX_CHUNKS} chunks")


def _chunk_size(line: bytes) -> int:
    digits = line.split(b";", 1)[0].strip()
    try:
        return int(digits, 16)
    except ValueError:
        raise _malformed(f"bad chunk size {digits[:20]!r}") from None


async def _skip_trailers(reader: asyncio.StreamReader) -> None:
    for _ in range(_MAX_TRAILERS):
        # Lenient at EOF: the body is complete, only the final blank line is missing.
        if reader.at_eof() or not await _line(reader):
            return
    raise _malformed("too many trailer lines")


async def _line(reader: asyncio.StreamReader) -> bytes:
    """One line without its end; :class:`ProbeFailure` at EOF or past the stream's limit."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        raise _malformed("connection closed inside a chunked body") from exc
    except asyncio.LimitOverrunError as exc:
        raise _malformed("chunk line too long") from exc
    return line.rstrip(b"\r\n")
