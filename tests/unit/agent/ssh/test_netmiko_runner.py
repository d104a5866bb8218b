"""NetmikoRunner at the seam: library errors -> bounded reasons, secrets kept out of the
session log. The connection cases use a closed port on 127.0.0.1 (no device needed)."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)

from netwarden.agent.ssh.netmiko_runner import NetmikoRunner, _reason, _session_log
from netwarden.agent.ssh.types import SshError, SshReason, SshTarget
from netwarden.secret import Secret
from tests.ports import refused_port


def loopback_target(port: int, password: str = "env:NW_TEST_SSH_PW") -> SshTarget:
    return SshTarget("sw-lo", "127.0.0.1", port, "cisco_ios", "ops", Secret(password),
                     None, None, None, 2.0)  # fmt: skip


def raised_inside(outer: Exception, inner: BaseException) -> Exception:
    """``outer`` raised while handling ``inner``, as netmiko re-raises socket errors."""
    try:
        try:
            raise inner
        except BaseException:
            raise outer  # noqa: B904 - mimic netmiko, which raises without `from`
    except Exception as exc:
        return exc


def test_reasons_of_library_errors() -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    unreachable = OSError(113, "No route to host")
    assert _reason(raised_inside(NetmikoTimeoutException("TCP connection failed"), refused)) \
        is SshReason.refused  # fmt: skip
    assert _reason(raised_inside(NetmikoTimeoutException("TCP failed"), unreachable)) \
        is SshReason.unreachable  # fmt: skip
    assert _reason(NetmikoTimeoutException("no answer")) is SshReason.timeout
    assert _reason(NetmikoAuthenticationException("Authentication to device failed.")) \
        is SshReason.auth  # fmt: skip
    assert _reason(ReadTimeout("Pattern not detected")) is SshReason.timeout
    assert _reason(paramiko.SSHException("Error reading SSH protocol banner")) \
        is SshReason.protocol  # fmt: skip
    assert _reason(EOFError()) is SshReason.protocol
    assert _reason(ValueError("something else")) is SshReason.other
    many = paramiko.ssh_exception.NoValidConnectionsError({("127.0.0.1", 22): refused})
    assert _reason(many) is SshReason.refused


def test_closed_port_on_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NW_TEST_SSH_PW", "never-sent-pw")
    with refused_port() as port, pytest.raises(SshError) as caught:
        NetmikoRunner().run(loopback_target(port), ["show version"])
    assert caught.value.reason is SshReason.refused
    assert str(caught.value).startswith("sw-lo (127.0.0.1:")
    assert "never-sent-pw" not in str(caught.value)


def test_unreadable_secret_is_reason_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NW_TEST_SSH_PW", raising=False)
    with refused_port() as port, pytest.raises(SshError, match="NW_TEST_SSH_PW") as caught:
        NetmikoRunner().run(loopback_target(port), ["show version"])
    assert caught.value.reason is SshReason.secret


def test_session_log_hides_password_secret_and_passphrase(tmp_path: Path) -> None:
    target = loopback_target(22)
    params = _session_log(tmp_path / "logs", target, "pw-AAA", "en-BBB", "pp-CCC")
    log = params["session_log"]
    log.open()
    # What a session writes and reads, split across writes the way a channel delivers it
    for chunk in ["core-rtr>enable\nPassword: en-", "BBB\ncore-rtr#", "login pw-AAA pp-CCC\n"]:
        log.write(chunk)
    log.close()
    path = tmp_path / "logs" / "sw-lo.log"
    text = path.read_text()
    assert "core-rtr#" in text and "********" in text
    for secret in ("pw-AAA", "en-BBB", "pp-CCC"):
        assert secret not in text
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "logs").stat().st_mode & 0o777 == 0o700
