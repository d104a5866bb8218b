"""Whom an SSH session reached: the device's pinned host key, and the name its prompt gives.

An address is not an identity: an agency behind NAT reuses another agency's LAN range, so from
outside its LAN the same address reaches another device. Two checks, both failing with reason
``identity`` (and nothing run on the device):

* **host key**, checked at key exchange, before any password is sent: each device's key is
  pinned on first contact in ``<known_hosts dir>/<device>`` (OpenSSH known_hosts format); a
  different key afterwards is refused until an admin accepts it (``netwarden config trust``).
  The pin is bound to the device, not to its address: a device given a new address keeps its
  pin, another device on the old address does not inherit it;
* **name** (``ssh.hostname``, else the device id): the name in the prompt, compared
  case-insensitively up to the first dot, before ``enable`` and before any command. A config
  backup requires it (a mismatch fails the session); an SSH collection goes on, as it always
  did, but pins nothing.

A first contact is pinned only by a session whose prompt gave the expected name (or that
expects none: a Linux shell, ``ssh.hostname_check: false``), so a session that reached the
wrong device never pins that device's key. Pure logic and files; the runners
(netmiko_runner.py, fake.py) call it at the right moments.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from netwarden.agent.ssh.types import SshError, SshReason, SshRunner, SshTarget
from netwarden.errors import NetwardenError, UsageError
from netwarden.hostport import format_hostport
from netwarden.inventory.ids import ID_PATTERN

log = logging.getLogger(__name__)

DEFAULT_KNOWN_HOSTS: Final = Path("/var/lib/netwarden/known_hosts")
KNOWN_HOSTS_ENV: Final = "NETWARDEN_KNOWN_HOSTS"
_ID: Final = re.compile(ID_PATTERN)
_KEY_TYPE: Final = re.compile(r"^(?:ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)$")


def short_name(name: str) -> str:
    """``name`` as names are compared: case-insensitive, up to the first dot."""
    return name.strip().split(".", 1)[0].casefold()


def same_name(reported: str, expected: str) -> bool:
    return short_name(reported) == short_name(expected)


@dataclass(frozen=True, slots=True)
class HostKey:
    """An SSH host key: its type (``ssh-ed25519``) and base64 blob, as known_hosts writes it."""

    kind: str
    blob: str

    @property
    def fingerprint(self) -> str:
        """``SHA256:...``, as ``ssh-keygen -lf`` and ``ssh`` print it."""
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    def known_hosts_line(self, host: str, port: int) -> str:
        where = host if port == 22 else f"[{host}]:{port}"
        return f"{where} {self.kind} {self.blob}"


def parse_known_hosts_line(line: str) -> HostKey | None:
    """The key of a known_hosts line (``HOSTS TYPE BASE64 [comment]``); None for a comment."""
    fields = line.split()
    if not fields or fields[0].startswith("#"):
        return None
    if len(fields) < 3 or not _KEY_TYPE.match(fields[1]):
        raise ValueError(f"not a known_hosts line: {line[:80]!r}")
    try:
        base64.b64decode(fields[2], validate=True)
    except binascii.Error:
        raise ValueError(f"not a base64 key: {fields[2][:40]!r}") from None
    return HostKey(fields[1], fields[2])


def known_hosts_dir(option: Path | None, state_dir: Path | None = None) -> Path:
    """Where host keys are pinned: ``option`` (``--known-hosts``), else
    ``$NETWARDEN_KNOWN_HOSTS``, else ``<state dir>/known_hosts`` for an enrolled agent, else
    ``/var/lib/netwarden/known_hosts``."""
    if option is not None:
        return option
    if os.environ.get(KNOWN_HOSTS_ENV):
        return Path(os.environ[KNOWN_HOSTS_ENV])
    if state_dir is not None:
        return state_dir / "known_hosts"
    return DEFAULT_KNOWN_HOSTS


class HostKeyPins:
    """The pinned host keys: one file per device in ``path`` (created on the first pin)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _file(self, device: str) -> Path:
        if not _ID.match(device):  # the id becomes a file name: never a path
            raise UsageError(f"{device!r} is not a device id")
        return self.path / device

    def pinned(self, device: str) -> HostKey | None:
        """The key pinned for ``device``, or None (never contacted, or forgotten)."""
        try:
            text = self._file(device).read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise NetwardenError(f"cannot read the pinned host key of {device}: {exc}") from exc
        for line in text.splitlines():
            try:
                key = parse_known_hosts_line(line)
            except ValueError as exc:
                raise NetwardenError(f"{self._file(device)}: {exc}") from None
            if key is not None:
                return key
        return None

    def pin(self, device: str, key: HostKey, host: str, port: int, why: str) -> None:
        """Pin ``key`` for ``device`` (replacing any pin), atomically."""
        self.path.mkdir(mode=0o755, parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        text = f"# {device}: {why}, {stamp}\n{key.known_hosts_line(host, port)}\n"
        final = self._file(device)
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="ascii")
        os.replace(tmp, final)  # a reader sees the old pin or the new one, never half

    def forget(self, device: str) -> bool:
        """Remove ``device``'s pin (the next contact pins again); False if there was none."""
        try:
            self._file(device).unlink()
        except FileNotFoundError:
            return False
        return True


class KeyReadingRunner(SshRunner, Protocol):
    """A runner that can also read the host key a device offers (``config trust``)."""

    def offered_host_key(self, target: SshTarget) -> HostKey:
        """The key the device offers now, by a key exchange without login."""
        ...


def _where(target: SshTarget) -> str:
    return f"{target.device} ({format_hostport(target.host, target.port)})"


class SessionCheck:
    """The identity checks of one session, called by a runner in the order it meets them:
    :meth:`host_key` at key exchange, :meth:`prompt` after login, :meth:`passed` at the end
    of a session that got in. ``pins`` None: no pinning (a runner made without a dir)."""

    def __init__(self, target: SshTarget, pins: HostKeyPins | None) -> None:
        self.target = target
        self.pins = pins
        self._offered: HostKey | None = None
        self._first_contact = False

    def host_key(self, offered: HostKey) -> None:
        """Refuse a key other than the pinned one (SshError ``identity``)."""
        self._offered = offered
        if self.pins is None:
            return
        try:
            pinned = self.pins.pinned(self.target.device)
        except NetwardenError as exc:  # the agent's own files, not the device: reason other
            raise SshError(SshReason.other, f"{_where(self.target)}: {exc}") from exc
        if pinned is None:
            self._first_contact = True
        elif pinned != offered:
            raise SshError(
                SshReason.identity,
                f"{_where(self.target)}: the SSH host key changed (pinned {pinned.fingerprint}, "
                f"offered {offered.fingerprint}): another device answers at this address, or "
                f"the device was replaced; if so, accept its key with "
                f"`netwarden config trust {self.target.device}`",
            )

    def prompt(self, prompt_name: str) -> None:
        """Refuse a device whose prompt names another one (when the target requires a name);
        otherwise a wrong name only keeps this session from pinning a first contact."""
        expected = self.target.expected_hostname
        if expected is None or same_name(prompt_name, expected):
            return
        if self.target.name_required:
            raise SshError(
                SshReason.identity,
                f"{_where(self.target)}: reached {prompt_name!r} (its prompt), not "
                f"{expected!r}: another device answers at this address",
            )
        self._first_contact = False
        log.warning(
            "%s: the prompt names %r, not %r: its host key is not pinned",
            _where(self.target),
            prompt_name,
            expected,
        )

    def passed(self) -> None:
        """The session proved whom it reached: pin a first contact's key."""
        if self.pins is None or not self._first_contact or self._offered is None:
            return
        target = self.target
        try:
            self.pins.pin(target.device, self._offered, target.host, target.port, "first contact")
        except (OSError, NetwardenError) as exc:  # the session itself is fine: say, go on
            log.warning("cannot pin the host key of %s: %s", target.device, exc)
            return
        self._first_contact = False
        log.info(
            "pinned the SSH host key of %s on first contact: %s",
            _where(target),
            self._offered.fingerprint,
        )
