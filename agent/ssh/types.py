"""The SSH seam: what a session needs (a target), what it returns, and how it fails.

Everything above this module (collection, config backup) talks to an :class:`SshRunner`; the
netmiko implementation and the in-repo fake both satisfy it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from netwarden.errors import NetwardenError
from netwarden.secret import Secret


class SshReason(enum.StrEnum):
    """Why an SSH session failed: the bounded ``reason`` label."""

    auth = "auth"  # the device refused the username/password/key (or the enable secret)
    timeout = "timeout"  # no answer, or a command's prompt never came back
    refused = "refused"  # TCP RST on the SSH port
    unreachable = "unreachable"  # no route to the host
    protocol = "protocol"  # SSH handshake or channel failure
    secret = "secret"  # noqa: S105 - a secret reference could not be resolved on this agent
    identity = "identity"  # another device answered: a changed host key, or another name
    other = "other"


class SshError(NetwardenError):
    """An SSH session failed; ``reason`` is bounded, ``str()`` is one line for an admin."""

    def __init__(self, reason: SshReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SshTarget:
    """One device as netmiko reaches it. Secrets stay references until the session opens."""

    device: str
    host: str
    port: int
    platform: str  # a netmiko device_type: cisco_ios, huawei, hp_comware, linux
    username: str
    password: Secret | None
    key_file: Secret | None  # reference to a private key *file* (file:/path)
    passphrase: Secret | None
    enable_secret: Secret | None
    timeout: float  # seconds, per connection attempt and per command
    # The name the device should give in its prompt (None: not compared). A config backup
    # requires it (a mismatch fails the session); a collection only pins no key on a mismatch.
    expected_hostname: str | None = None
    name_required: bool = False


class SshRunner(Protocol):
    """Runs commands on one device in one session. Blocking: call it from a worker thread."""

    def run(self, target: SshTarget, commands: Sequence[str]) -> dict[str, str]:
        """Open a session, run ``commands`` in order, close; outputs keyed by command.

        Raises :class:`SshError` if the session cannot be opened or a command times out.
        """
        ...

    def configure(self, target: SshTarget, lines: Sequence[str]) -> str:
        """Open a session, send ``lines`` in configuration mode, leave it, close; the output.

        The only way netwarden changes a device (a playbook step that was approved). Raises
        :class:`SshError` as :meth:`run` does.
        """
        ...
