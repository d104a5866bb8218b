"""An in-repo :class:`SshRunner` for tests: canned outputs, optional delay and failure.

It records how many sessions ran at once (overall and per device), so tests can prove the
pool's bounds with real threads instead of asserting that a mock was called. Each device offers
a host key and shows a prompt name (by default its id), checked through the same
:class:`~netwarden.agent.ssh.identity.SessionCheck` as the netmiko runner's sessions.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from netwarden.agent.ssh.identity import HostKey, HostKeyPins, SessionCheck
from netwarden.agent.ssh.types import SshError, SshTarget


def fake_host_key(seed: str) -> HostKey:
    """A stable, well-formed ed25519 key blob made from ``seed`` (a device's own key)."""
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + hashlib.sha256(seed.encode()).digest()
    return HostKey("ssh-ed25519", base64.b64encode(blob).decode())


def golden_outputs(folder: Path) -> dict[str, str]:
    """Outputs keyed by command from ``folder/<command with _ for spaces>.txt`` files."""
    return {path.stem.replace("_", " "): path.read_text() for path in sorted(folder.glob("*.txt"))}


class FakeSshRunner:
    """Serves ``outputs[device][command]`` (or ``outputs[command]`` for every device).

    ``delay`` seconds per session; ``fail`` maps a device to the :class:`SshError` it raises;
    ``crash`` maps a device to any other exception (a runner bug) to raise. ``prompts`` and
    ``host_keys`` say what answers at a device's address (default: the device itself, with
    :func:`fake_host_key` of its id); ``pins``, as for the netmiko runner.
    """

    def __init__(
        self,
        outputs: Mapping[str, str | Mapping[str, str]],
        *,
        delay: float = 0.0,
        fail: Mapping[str, SshError] | None = None,
        crash: Mapping[str, Exception] | None = None,
        prompts: Mapping[str, str] | None = None,
        host_keys: Mapping[str, HostKey] | None = None,
        pins: HostKeyPins | None = None,
    ) -> None:
        self.outputs = outputs
        self.delay = delay
        self.fail = dict(fail or {})
        self.crash = dict(crash or {})
        self.prompts = dict(prompts or {})
        self.host_keys = dict(host_keys or {})
        self.pins = pins
        self.sessions: list[tuple[str, tuple[str, ...]]] = []
        self.configured: list[tuple[str, tuple[str, ...]]] = []  # (device, lines) sent
        # What a configuration session prints (per device, else ""); a test sets it.
        self.config_outputs: dict[str, str] = {}
        # Called with (device, lines) once a configuration is "applied": a test changes its
        # canned outputs here to play the device's new state.
        self.on_configure: Callable[[str, tuple[str, ...]], None] | None = None
        self.max_running = 0
        self.max_running_per_device: dict[str, int] = {}
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    def run(self, target: SshTarget, commands: Sequence[str]) -> dict[str, str]:
        with self._session(target, tuple(commands)):
            return {command: self._output(target.device, command) for command in commands}

    def configure(self, target: SshTarget, lines: Sequence[str]) -> str:
        with self._session(target, ("<configure>", *lines)):
            self.configured.append((target.device, tuple(lines)))
            if self.on_configure is not None:
                self.on_configure(target.device, tuple(lines))
            return self.config_outputs.get(target.device, "")

    @contextlib.contextmanager
    def _session(self, target: SshTarget, commands: tuple[str, ...]) -> Iterator[None]:
        with self._lock:
            self._running[target.device] = self._running.get(target.device, 0) + 1
            total = sum(self._running.values())
            self.max_running = max(self.max_running, total)
            per = self.max_running_per_device
            per[target.device] = max(per.get(target.device, 0), self._running[target.device])
            self.sessions.append((target.device, commands))
        try:
            if self.delay:
                time.sleep(self.delay)
            if target.device in self.crash:
                raise self.crash[target.device]
            if target.device in self.fail:
                raise self.fail[target.device]
            check = SessionCheck(target, self.pins)
            check.host_key(self.offered_host_key(target))
            check.prompt(self.prompts.get(target.device, target.device))
            check.passed()
            yield
        finally:
            with self._lock:
                self._running[target.device] -= 1

    def offered_host_key(self, target: SshTarget) -> HostKey:
        """The key the device at ``target`` offers (for ``config trust``)."""
        return self.host_keys.get(target.device) or fake_host_key(target.device)

    def _output(self, device: str, command: str) -> str:
        per_device = self.outputs.get(device)
        if isinstance(per_device, Mapping):
            return per_device.get(command, "")
        shared = self.outputs.get(command, "")
        return shared if isinstance(shared, str) else ""
