"""The session's I/O: the SSH channel as stdin/stdout, or a scripted fake in tests."""

from __future__ import annotations

import contextlib
import os
import termios
from collections.abc import Iterator
from typing import BinaryIO, Protocol


class Terminal(Protocol):
    """What the command loop needs from its channel."""

    def write(self, text: str) -> None:
        """Write text as is (``\\n`` line ends; a pty turns them into CR LF)."""

    def readline(self) -> str | None:
        """One input line without its line end, or ``None`` when the channel closed."""

    def read_secret(self, prompt: str) -> str | None:
        """Show ``prompt`` and read one line that is not echoed; ``None`` when closed."""


class ChannelClosed(Exception):
    """The peer went away while we were writing."""


class StdioTerminal:
    """:class:`Terminal` on file descriptors, normally the pty sshd allocated for the session.

    When the input is a tty its line discipline does the echo, exactly as netmiko expects from
    a real device; only the enable password is read with ECHO off.
    """

    def __init__(self, stdin: BinaryIO, stdout_fd: int) -> None:
        self._stdin = stdin
        self._stdout_fd = stdout_fd

    def write(self, text: str) -> None:
        data = text.encode("utf-8", errors="replace")
        try:
            while data:
                data = data[os.write(self._stdout_fd, data) :]
        except OSError as exc:  # EPIPE / EIO once the SSH channel is gone
            raise ChannelClosed from exc

    def readline(self) -> str | None:
        line = self._stdin.readline()
        if not line:
            return None
        return line.decode("utf-8", errors="replace").rstrip("\r\n")

    def read_secret(self, prompt: str) -> str | None:
        with self._echo_off():
            self.write(prompt)
            line = self.readline()
        # The user's Enter was not echoed either; end the prompt line ourselves.
        self.write("\n")
        return line

    @contextlib.contextmanager
    def _echo_off(self) -> Iterator[None]:
        fd = self._stdin.fileno()
        if not os.isatty(fd):
            yield
            return
        saved = termios.tcgetattr(fd)
        quiet = termios.tcgetattr(fd)
        quiet[3] &= ~termios.ECHO
        # TCSADRAIN, not TCSAFLUSH: input typed ahead (a scripted client) must not be lost.
        termios.tcsetattr(fd, termios.TCSADRAIN, quiet)
        try:
            yield
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
