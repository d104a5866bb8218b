"""Run the ``netwarden`` command in the test's own process, exactly as its console script does
(``netwarden.cli.main``: the same argument parsing, error lines and exit codes).

A subprocess costs an interpreter start and every import (1-2 s on a loaded 2-core machine);
tests that check what a command does to a server, a store or a file pay that again and again
for nothing. Tests of the entry point itself (``python -m netwarden``, start-up imports) keep
their subprocess.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from unittest import mock

from netwarden.cli import main


def run_in_process(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``netwarden ARGS`` with ``env`` added to the environment; its exit code, stdout, stderr."""
    # Byte streams under text wrappers, like a process's: some commands write bytes to
    # sys.stdout.buffer (`incident evidence get` streams a file to stdout).
    out, err = _stream(), _stream()
    code: int
    with (
        mock.patch.dict(os.environ, env or {}),
        mock.patch.object(sys, "argv", ["netwarden", *args]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(["netwarden", *args], code, _text(out), _text(err))


def _stream() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    return raw.getvalue().decode("utf-8", errors="replace")
