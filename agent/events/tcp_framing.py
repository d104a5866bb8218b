"""RFC 6587 framing of a syslog TCP stream, parsed from whatever chunks the socket returns.

A frame is octet-counted (``LEN SP MSG``: the first octet is a digit) or newline-terminated
(anything else); a connection may mix both. Reading a chunk at a time and splitting it here
costs one read per chunk instead of three awaited reads per frame. Memory is bounded: the
buffer holds at most one frame of ``max_frame`` octets plus one chunk; a longer frame is
skipped as it arrives, never held, and counted as oversized.
"""

from __future__ import annotations

COUNT_DIGITS = 8  # an octet count longer than this is not a frame header
_DIGITS = frozenset(b"0123456789")


class FrameError(Exception):
    """The stream is not RFC 6587 framing; ``reason`` is the drop counter's label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Framer:
    def __init__(self, max_frame: int) -> None:
        self._max = max_frame
        self._line_max = max_frame + 2  # a line may end in CR LF beyond the frame bound
        self._buf = bytearray()
        self._skip = 0  # octets still to skip of an oversized counted frame
        self._skip_line = False  # skipping to the end of an oversized line

    def feed(self, chunk: bytes) -> tuple[list[bytes], int]:
        """The complete frames in the stream so far, and how many oversized ones were skipped.
        Raises :class:`FrameError` on an octet count that is not one."""
        buf = self._buf
        buf += chunk
        frames: list[bytes] = []
        oversized, pos = 0, 0
        while pos < len(buf):  # each turn consumes octets or breaks to wait for more
            if self._skip or self._skip_line:
                pos = self._skipping(pos)
                continue
            split = self._counted if buf[pos] in _DIGITS else self._line
            end, skipped = split(pos, frames)
            oversized += skipped
            if end == pos and not skipped:
                break  # an incomplete frame: wait for more octets
            pos = end
        del buf[:pos]
        return frames, oversized

    def _skipping(self, pos: int) -> int:
        buf = self._buf
        if self._skip:
            step = min(self._skip, len(buf) - pos)
            self._skip -= step
            return pos + step
        newline = buf.find(b"\n", pos)
        if newline < 0:
            return len(buf)
        self._skip_line = False
        return newline + 1

    def _counted(self, pos: int, frames: list[bytes]) -> tuple[int, bool]:
        """-> (where the next frame starts, or ``pos`` if this one is incomplete; whether an
        oversized frame begins, to be skipped from there)."""
        buf = self._buf
        space = buf.find(b" ", pos, pos + COUNT_DIGITS + 1)
        if space < 0:
            if len(buf) - pos > COUNT_DIGITS:
                raise FrameError("bad-frame")
            return pos, False
        digits = bytes(buf[pos:space])
        if not digits.isdigit():
            raise FrameError("bad-frame")
        length, body = int(digits), space + 1
        if length > self._max:
            self._skip = length
            return body, True
        if len(buf) - body < length:
            return pos, False
        frames.append(bytes(buf[body : body + length]))
        return body + length, False

    def _line(self, pos: int, frames: list[bytes]) -> tuple[int, bool]:
        buf = self._buf
        newline = buf.find(b"\n", pos, pos + self._line_max)
        if newline >= 0:
            frames.append(bytes(buf[pos : newline + 1]))
            return newline + 1, False
        if len(buf) - pos >= self._line_max:
            self._skip_line = True
            return pos, True
        return pos, False
