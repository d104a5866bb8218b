"""Builders shared by the SSH unit tests."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, ParamSpec

from netwarden.agent.ssh.fake import golden_outputs
from netwarden.agent.ssh.parsers import linux
from netwarden.agent.ssh.types import SshTarget
from netwarden.secret import Secret

P = ParamSpec("P")
DATA = Path(__file__).parents[3] / "data" / "ssh"


def target(device: str = "sw-1", platform: str = "cisco_ios", timeout: float = 5.0) -> SshTarget:
    return SshTarget(device, "127.0.0.1", 2222, platform, "labops",
                     Secret("env:NW_TEST_SSH_PASS"), None, None, None, timeout)  # fmt: skip


def network_outputs(platform: str) -> dict[str, str]:
    """The golden outputs of a network platform, keyed by command."""
    return golden_outputs(DATA / platform)


def linux_outputs(systemctl: str = "systemctl_failed.txt") -> dict[str, str]:
    folder = DATA / "linux"
    return {
        linux.DF: (folder / "df.txt").read_text(),
        linux.LOADAVG: (folder / "loadavg.txt").read_text(),
        linux.MEMINFO: (folder / "meminfo.txt").read_text(),
        linux.SYSTEMCTL: (folder / systemctl).read_text(),
    }


def run_async(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an async test in its own event loop (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper
