"""The git command line, run the same way whoever runs it: no global or system git config.

The store may be written by the agent (a service user) and read or written by an admin's
``netwarden config`` (root, another user): each command sets its own identity and options with
``-c`` and ignores ``~/.gitconfig`` and ``/etc/gitconfig``, so a hook, a signing key or a pager
configured there never applies, and ``safe.directory`` lets either user work in a repository
owned by the other. :func:`locked` serialises writers across processes and threads.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from netwarden.errors import NetwardenError

GIT_TIMEOUT: Final = 60.0  # seconds; a local repository answers in milliseconds
LOCK_NAME: Final = ".lock"


class GitError(NetwardenError):
    """A git command failed (git missing, a damaged repository, a full disk)."""


def _options(path: Path) -> list[str]:
    return [
        "-c", "user.name=netwarden",
        "-c", "user.email=netwarden@localhost",
        "-c", "commit.gpgsign=false",
        "-c", "core.hooksPath=/dev/null",
        "-c", f"safe.directory={path}",
        "-c", "init.defaultBranch=main",
    ]  # fmt: skip


def _environment(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}
    return env | dict(extra)


def git(path: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True) -> str:
    """Run ``git args`` in the repository at ``path``; its stdout (raises GitError on failure
    when ``check``; returns "" for a failed command otherwise)."""
    argv = ["git", "-C", str(path), *_options(path), *args]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
            env=_environment(env or {}),
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed (Debian package git)") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} in {path} took over {GIT_TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        if not check:
            return ""
        why = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise GitError(f"git {args[0]} in {path} failed: {why}")
    return done.stdout


@contextmanager
def locked(path: Path, *, exclusive: bool = True) -> Iterator[None]:
    """Hold the store's lock file (``flock``) for the block: writers exclusive, readers shared.

    Every entry opens its own descriptor, so two threads of one process exclude each other as
    two processes do (flock locks belong to the open file, not to the process).
    """
    path.mkdir(mode=0o750, parents=True, exist_ok=True)  # configs map the network
    with (path / LOCK_NAME).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
