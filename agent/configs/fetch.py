"""One device's backup: fetch its running configuration over SSH, normalise it, store it.

Whatever goes wrong (the SSH session, a device refusing the command, the store) comes back as a
:class:`BackupResult` with a bounded ``reason``, never as an exception, so one device never
stops the backup of the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from netwarden.agent.configs.device_name import name_mismatch
from netwarden.agent.configs.normalize import normalize
from netwarden.agent.configs.platforms import backup_command
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.ssh.types import SshError, SshTarget
from netwarden.errors import NetwardenError

log = logging.getLogger(__name__)

DEFAULT_DEADLINE: Final = 60.0  # seconds for one fetch when the caller gives none

# Reasons besides the SshReason values (auth, timeout, refused, unreachable, protocol, secret,
# identity, other): no backup command for the platform, the device answered with an error
# instead of a configuration, the store could not be written; and `identity` again when the
# configuration names another device than the one expected.
UNSUPPORTED, OUTPUT, STORE, IDENTITY = "unsupported", "output", "store", "identity"


class CommandPool(Protocol):
    """What a backup needs of :class:`netwarden.agent.ssh.pool.SshPool`."""

    async def run(
        self, target: SshTarget, commands: Sequence[str], deadline: float
    ) -> dict[str, str]: ...


@dataclass(frozen=True, slots=True)
class BackupResult:
    """The outcome of one device's backup."""

    device: str
    success: bool
    reason: str  # "" on success, else a bounded reason (see above)
    changed: bool  # the stored configuration changed (a first backup counts as changed)
    new: bool  # this was the device's first backup in the store
    duration: float  # seconds, fetch and store
    error: str  # one line for an admin; "" on success
    commit: str | None  # the commit holding the configuration now
    time: float  # unix time the backup finished

    @property
    def outcome(self) -> str:
        """``new``, ``changed``, ``unchanged`` or ``failed`` (the CLI's result column)."""
        if not self.success:
            return "failed"
        return "new" if self.new else "changed" if self.changed else "unchanged"


async def backup_device(
    pool: CommandPool, target: SshTarget, store: ConfigStore, *, deadline: float | None = None
) -> BackupResult:
    """Back up ``target``'s running configuration into ``store`` (``deadline``: seconds)."""
    started = time.monotonic()

    def failed(reason: str, error: str) -> BackupResult:
        return BackupResult(
            target.device,
            False,
            reason,
            False,
            False,
            time.monotonic() - started,
            error,
            None,
            time.time(),
        )

    command = backup_command(target.platform)
    if command is None:
        return failed(UNSUPPORTED, f"no backup command for platform {target.platform}")
    try:
        outputs = await pool.run(target, [command], deadline or DEFAULT_DEADLINE)
    except SshError as exc:
        return failed(exc.reason.value, str(exc))
    text = outputs.get(command, "")
    problem = _refused(text)
    if problem:
        return failed(OUTPUT, f"{command}: {problem}")
    stranger = name_mismatch(target, text)
    if stranger:
        log.warning("config backup of %s refused: %s", target.device, stranger)
        return failed(IDENTITY, stranger)
    fetched_at = datetime.now().astimezone()
    try:
        # git runs as subprocesses and waits on the store's lock: never on the event loop.
        saved = await asyncio.to_thread(
            store.save, target.device, normalize(text, target.platform), fetched_at
        )
    except (NetwardenError, OSError) as exc:
        log.warning("config backup of %s: store failed: %s", target.device, exc)
        return failed(STORE, str(exc))
    return BackupResult(
        target.device,
        True,
        "",
        saved.changed,
        saved.previous_commit is None,
        time.monotonic() - started,
        "",
        saved.commit,
        time.time(),
    )


def _refused(text: str) -> str:
    """Why ``text`` is not a configuration (the device's error line), or "" if it is one."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "empty output"
    # IOS "% Invalid input ..." / "% Authorization failed", VRP and Comware "Error: ..."
    for line in lines[:3]:
        if line.startswith("%") or line.startswith("Error:"):
            return line[:200]
    return ""
