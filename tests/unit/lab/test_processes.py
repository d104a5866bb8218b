"""Lab processes: started detached, recognised by PID and start time, stopped, and a daemon
that does not come up is named with the reason from its own log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from netwarden.errors import LabError
from netwarden.lab import processes, readiness
from netwarden.lab.topology import Device
from tests.waiting import wait_for

DEVICE = Device("sw-test", "nwl-x", "site", "198.18.1.2", "switch", "sw-test", "udp:198.18.1.2:161")


def test_start_alive_and_stop(tmp_path: Path) -> None:
    proc = processes.start("sleeper", ["sleep", "30"], tmp_path / "sleep.log")
    assert processes.alive(proc)
    assert processes.stop([proc], timeout=2) == []
    assert not processes.alive(proc)


def test_stop_also_ends_the_children_a_daemon_forked(tmp_path: Path) -> None:
    # Like sshd's per-connection processes: a child that would outlive its parent's SIGTERM.
    log = tmp_path / "forker.log"
    proc = processes.start("forker", ["sh", "-c", "sleep 300 & echo $!; wait"], log)
    child_pid = int(
        wait_for("the child's PID in the log", lambda: log.read_text().strip(), 30, every=0.02)
    )
    (child,) = processes.children(proc)
    assert child.pid == child_pid
    assert processes.stop([proc], timeout=2) == []
    assert not processes.alive(proc)
    assert not processes.alive(child)


def test_a_reused_pid_is_not_ours(tmp_path: Path) -> None:
    proc = processes.start("sleeper", ["sleep", "30"], tmp_path / "sleep.log")
    impostor = processes.Process("sleeper", proc.pid, proc.started + 1, proc.log)
    assert not processes.alive(impostor)
    processes.stop([proc])


def test_stop_takes_a_process_that_ends_between_the_check_and_the_signal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen under load: an sshd connection's process left just as the lab stopped it.
    proc = processes.start("brief", ["sleep", "30"], tmp_path / "brief.log")
    processes.stop([proc], timeout=2)  # ended and reaped: its PID is gone
    monkeypatch.setattr(processes, "alive", lambda _proc: True)  # as checked just before
    assert processes.stop([proc], timeout=0.1) == []


def test_stop_kills_what_ignores_sigterm(tmp_path: Path) -> None:
    script = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        " print('ready', flush=True); time.sleep(30)"
    )
    log = tmp_path / "stubborn.log"
    proc = processes.start("stubborn", [sys.executable, "-c", script], log)
    # Its SIGTERM handler must be in place first, or the SIGTERM would end it (an interpreter
    # start takes well over 2 s on a loaded machine now and then).
    wait_for("the process ready", lambda: "ready" in log.read_text(), 30, every=0.02)
    assert processes.stop([proc], timeout=0.3) == ["stubborn"]
    assert not processes.alive(proc)


def test_a_daemon_that_exits_is_named_with_its_last_log_line(tmp_path: Path) -> None:
    argv = ["sh", "-c", "echo 'Error opening specified endpoint \"udp:198.18.1.2:161\"'; exit 1"]
    proc = processes.start("snmpd sw-test", argv, tmp_path / "snmpd.log")
    with pytest.raises(LabError) as caught:
        readiness.wait_listening([(DEVICE, proc, "udp", (DEVICE.snmp_listen,))], timeout=5)
    assert str(caught.value).startswith("sw-test: snmpd exited: Error opening specified endpoint")


def test_a_daemon_that_never_listens_times_out_with_its_name(tmp_path: Path) -> None:
    proc = processes.start("sshd sw-test", ["sleep", "30"], tmp_path / "sshd.log")
    try:
        with pytest.raises(LabError) as caught:
            readiness.wait_listening([(DEVICE, proc, "tcp", ("198.18.1.2:22",))], timeout=0.3)
        assert "sw-test: sshd not listening on 198.18.1.2:22 after 0 s" in str(caught.value)
    finally:
        processes.stop([proc])


def test_listening_reads_this_namespace_sockets() -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        import os

        assert ("127.0.0.1", port) in readiness.listening(os.getpid(), "tcp")


def test_listening_reads_ipv6_sockets_and_bracketed_endpoints() -> None:
    import os
    import socket

    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        sock.bind(("::1", 0))
        port = sock.getsockname()[1]
        bound = readiness.listening(os.getpid(), "udp")
    assert ("::1", port) in bound
    assert readiness._wanted(f"udp:[::1]:{port}") == ("::1", port)
    assert readiness._wanted("[2001:2:0:10::5]:22") == ("2001:2:0:10::5", 22)
    assert readiness._wanted("udp:198.18.10.5:161") == ("198.18.10.5", 161)
    assert readiness._wanted("udp:161") == (readiness.ANY, 161)
