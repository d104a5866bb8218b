"""The netmiko :class:`SshRunner`: the only module that imports netmiko (lazily: it pulls in
paramiko, cryptography and serial, ~0.5 s, which an agent without SSH devices never needs).

Runs in a worker thread of :class:`~netwarden.agent.ssh.pool.SshPool`; never call it from the
event loop. Library errors are mapped to :class:`SshError` reasons here, at the seam. Each
session checks whom it reached (:mod:`netwarden.agent.ssh.identity`): the host key at key
exchange, through paramiko's missing-host-key policy (no known_hosts file is loaded, so paramiko
asks it for every key), and the prompt's name after login.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from netwarden.agent.ssh.identity import HostKey, HostKeyPins, SessionCheck
from netwarden.agent.ssh.types import SshError, SshReason, SshTarget
from netwarden.errors import SecretError
from netwarden.hostport import format_hostport

# Platforms without an IOS-style privileged mode: `enable` is never sent to them.
NO_ENABLE = frozenset({"linux", "generic", "generic_termserver"})
_REFUSED = {errno.ECONNREFUSED}
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


class NetmikoRunner:
    """Opens one netmiko session per call; ``session_log_dir``: one log file per device;
    ``pins``: where host keys are pinned (None: keys are not checked)."""

    def __init__(
        self, session_log_dir: Path | None = None, pins: HostKeyPins | None = None
    ) -> None:
        self.session_log_dir = session_log_dir
        self.pins = pins

    def run(self, target: SshTarget, commands: Sequence[str]) -> dict[str, str]:
        """Connect (checking the host key), check the prompt's name if the target asks for
        one, enter enable mode if an enable secret is set, run ``commands``, disconnect."""
        with self._session(target) as connection:
            outputs: dict[str, str] = {}
            for command in commands:
                try:
                    outputs[command] = str(connection.send_command(command))
                except Exception as exc:
                    raise _mapped(exc, target, f"command {command!r}") from exc
            return outputs

    def configure(self, target: SshTarget, lines: Sequence[str]) -> str:
        """Connect and check the device as ``run`` does, enable, send ``lines`` in
        configuration mode (netmiko enters and leaves it), disconnect; the session's output.
        The configuration is not saved."""
        with self._session(target) as connection:
            try:
                return str(connection.send_config_set(list(lines)))
            except Exception as exc:
                raise _mapped(exc, target, "configuration") from exc

    @contextlib.contextmanager
    def _session(self, target: SshTarget) -> Iterator[Any]:
        check = SessionCheck(target, self.pins)
        params = self._params(target)
        connection = _connect(params, check, target)
        try:
            check.prompt(str(connection.base_prompt))  # before enable: no secret to a stranger
            check.passed()
            if params["secret"] and target.platform not in NO_ENABLE:
                try:
                    connection.enable()
                except Exception as exc:  # netmiko raises ValueError or ReadTimeout here
                    raise SshError(
                        SshReason.auth,
                        f"{_where(target)}: enable refused the enable secret ({_first_line(exc)})",
                    ) from exc
            yield connection
        finally:
            connection.disconnect()

    def offered_host_key(self, target: SshTarget) -> HostKey:
        """The host key ``target`` offers now: an SSH key exchange, no login."""
        import paramiko

        try:
            with socket.create_connection((target.host, target.port), target.timeout) as sock:
                transport = paramiko.Transport(sock)
                try:
                    transport.start_client(timeout=target.timeout)
                    key = transport.get_remote_server_key()
                finally:
                    transport.close()
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise _mapped(exc, target, "key exchange") from exc
        return HostKey(key.get_name(), key.get_base64())

    def _params(self, target: SshTarget) -> dict[str, Any]:
        try:
            password = target.password.reveal() if target.password else None
            secret = target.enable_secret.reveal() if target.enable_secret else ""
            passphrase = target.passphrase.reveal() if target.passphrase else None
        except SecretError as exc:
            raise SshError(SshReason.secret, f"{_where(target)}: {exc}") from exc
        params: dict[str, Any] = {
            "device_type": target.platform,
            "host": target.host,
            "port": target.port,
            "username": target.username,
            "password": password,
            "secret": secret,
            "passphrase": passphrase,
            "use_keys": target.key_file is not None,
            "key_file": target.key_file.target if target.key_file else None,
            "allow_agent": False,  # the agent's own ssh-agent or ~/.ssh must not leak in
            "ssh_config_file": None,
            "conn_timeout": target.timeout,
            "auth_timeout": target.timeout,
            "banner_timeout": target.timeout,
            "read_timeout_override": target.timeout,
        }
        if self.session_log_dir is not None:
            params.update(_session_log(self.session_log_dir, target, password, secret, passphrase))
        return params


def _connect(params: dict[str, Any], check: SessionCheck, target: SshTarget) -> Any:
    """A logged-in netmiko connection whose host key ``check`` accepted."""
    from netmiko import ConnectHandler

    try:
        # Not connected yet: the key policy must be ours before the key exchange starts.
        connection = ConnectHandler(**params, auto_connect=False)
        connection.key_policy = _KeyPolicy(check)
        try:
            connection._open()  # what auto_connect does, with our policy in place
        except BaseException:
            connection.disconnect()  # closes the socket and netmiko's log filter
            raise
    except SshError:
        raise
    except Exception as exc:
        for item in _chain(exc):  # paramiko may wrap the policy's refusal
            if isinstance(item, SshError):
                raise item from None
        raise _mapped(exc, target, "connect") from exc
    return connection


class _KeyPolicy:
    """paramiko's missing-host-key policy (duck-typed: paramiko only calls this method), handing
    every offered key to the session's check; its SshError ends the connect before login."""

    def __init__(self, check: SessionCheck) -> None:
        self.check = check

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        self.check.host_key(HostKey(key.get_name(), key.get_base64()))


def _session_log(folder: Path, target: SshTarget, *secrets: str | None) -> dict[str, Any]:
    """netmiko's SessionLog hides the password and secret it was given; ours also hides the
    key passphrase, and records writes so the log shows what was sent (hidden too)."""
    from netmiko.session_log import SessionLog

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{target.device}.log"
    # Owner-only from the start: the log holds configuration and command output.
    os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
    hidden = {f"secret{i}": value for i, value in enumerate(secrets) if value}
    log = SessionLog(file_name=str(path), file_mode="append", no_log=hidden, record_writes=True)
    return {"session_log": log}


def _where(target: SshTarget) -> str:
    return f"{target.device} ({format_hostport(target.host, target.port)})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes: netmiko re-raises socket errors inside its own exceptions."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 20:
        seen.add(id(current))
        yield current
        # paramiko's NoValidConnectionsError holds one socket error per address tried
        yield from getattr(current, "errors", {}).values()
        current = current.__cause__ or current.__context__


def _cause_reason(item: BaseException) -> SshReason | None:
    """The reason one link of the chain proves, if any."""
    from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout

    if isinstance(item, SshError):
        return item.reason
    if isinstance(item, NetmikoAuthenticationException):
        return SshReason.auth
    if isinstance(item, OSError) and item.errno in _REFUSED:
        return SshReason.refused
    if isinstance(item, OSError) and item.errno in _UNREACHABLE:
        return SshReason.unreachable
    if isinstance(item, socket.timeout | TimeoutError | ReadTimeout):
        return SshReason.timeout
    return None


def _reason(exc: BaseException) -> SshReason:
    from netmiko.exceptions import NetmikoTimeoutException

    for item in _chain(exc):
        found = _cause_reason(item)
        if found is not None:
            return found
    if isinstance(exc, NetmikoTimeoutException):  # netmiko's catch-all for "no answer"
        return SshReason.timeout
    module = type(exc).__module__
    if module.startswith(("paramiko", "netmiko")) or isinstance(exc, EOFError | OSError):
        return SshReason.protocol
    return SshReason.other


def _mapped(exc: BaseException, target: SshTarget, step: str) -> SshError:
    reason = _reason(exc)
    return SshError(reason, f"{_where(target)}: {step} failed: {reason.value} ({_first_line(exc)})")
