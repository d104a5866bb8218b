"""The session's I/O: the SSH channel as stdin/stdout, or a scripted fake in tests."""

from __future__ import annotations

import os
import termios
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

    When the input is a tty, the CLI echoes each line itself after reading it, as a device
    does, instead of leaving the echo to the line discipline: the kernel echoes input the
    moment it arrives, so two RETURNs sent quickly (netmiko's ``find_prompt`` sends a second
    when the first prompt is slow, as on a loaded machine) came back as both echoes and then
    ``sw#sw#`` on one line, which netmiko took for the prompt and then waited for in vain.
    The enable password is read without an echo.
    """

    def __init__(self, stdin: BinaryIO, stdout_fd: int) -> None:
        self._stdin = stdin
        self._stdout_fd = stdout_fd
        self._echo = _take_over_echo(stdin)

    def write(self, text: str) -> None:
        data = text.encode("utf-8", errors="replace")
        try:
            while data:
                data = data[os.write(self._stdout_fd, data) :]
        except OSError as exc:  # EPIPE / EIO once the SSH channel is gone
            raise ChannelClosed from exc

    def readline(self) -> str | None:
        line = self._read()
        if line is not None and self._echo:
            self.write(line + "\n")
        return line

    def read_secret(self, prompt: str) -> str | None:
        self.write(prompt)
        line = self._read()
        # The user's Enter was not echoed either; end the prompt line ourselves.
        self.write("\n")
        return line

    def _read(self) -> str | None:
        line = self._stdin.readline()
        if not line:
            return None
        return line.decode("utf-8", errors="replace").rstrip("\r\n")


def _take_over_echo(stdin: BinaryIO) -> bool:
    """Switch the tty's echo off (the CLI echoes itself); False when the input is no tty."""
    try:
        fd = stdin.fileno()
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return False
    if not os.isatty(fd):
        return False
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ECHO
    # TCSADRAIN, not TCSAFLUSH: input typed ahead (a scripted client) must not be lost.
    termios.tcsetattr(fd, termios.TCSADRAIN, attrs)
    return True
