"""The IOS-like CLI behind a real sshd in a namespace, driven by netmiko's cisco_ios driver.

Self-contained until the lab wires the CLI in: the module builds one namespace (a veth ``lan0``
into it and a ``wan0`` veth whose peer ``wan0p`` stays inside it, since this kernel has no
``dummy`` driver), a throwaway SSH user, an sshd with the CLI as ForceCommand and a fake device
control server that changes the namespace's links with ``ip -n``. Needs root.
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import re
import secrets
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException

from netwarden.lab import processes

pytestmark = [
    pytest.mark.lab,
    pytest.mark.timeout(240),
    # netmiko 4.8 on Python < 3.13 finds ntc-templates via the deprecated importlib.resources.path
    pytest.mark.filterwarnings(r"ignore:path is deprecated\. Use files\(\):DeprecationWarning"),
]
log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
NS = "nwt-ioscli"
HOST_IF = "nwt-ioscli-h"
HOST_ADDR = "198.18.254.1/30"
DEVICE = "198.18.254.2"
WAN_ADDR = "198.18.254.5/30"
WAN_PEER = "198.18.254.6"
PORT = 2222
USER = "nwtest"
HOSTNAME = "sw-test"
SSHD = "/usr/sbin/sshd"
COUNTERS = ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors", "tx_errors")


def _run(
    *argv: str, check: bool = True, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, cwd=cwd)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return done


def _ns(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _run("ip", "netns", "exec", NS, *argv, check=check)


@dataclass
class Rig:
    password: str
    secret: str
    control_requests: list[dict[str, Any]] = field(default_factory=list)

    def connect(self, **overrides: Any) -> Any:
        params: dict[str, Any] = {
            "device_type": "cisco_ios",
            "host": DEVICE,
            "port": PORT,
            "username": USER,
            "password": self.password,
            "secret": self.secret,
            "conn_timeout": 10,
            "auth_timeout": 10,
            "banner_timeout": 10,
            "read_timeout_override": 20,
            "allow_agent": False,
            "use_keys": False,
            "ssh_config_file": None,
        }
        params.update(overrides)
        return ConnectHandler(**params)


def _delete_namespace() -> None:
    _run("ip", "netns", "del", NS, check=False)
    _run("ip", "link", "del", HOST_IF, check=False)


@pytest.fixture(scope="module")
def namespace() -> Iterator[None]:
    if os.geteuid() != 0:
        pytest.fail("needs root (namespace, sshd, useradd): run scripts/test.sh")
    if not Path(SSHD).exists():
        pytest.fail("openssh-server is not installed (apt-get install -y openssh-server)")
    _delete_namespace()  # a previous run killed before its teardown
    try:
        _run("ip", "netns", "add", NS)
        _run("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", "lan0", "netns", NS)
        _run("ip", "address", "add", HOST_ADDR, "dev", HOST_IF)
        _run("ip", "link", "set", HOST_IF, "up")
        for command in (
            f"address add {DEVICE}/30 dev lan0",
            "link add wan0 type veth peer name wan0p",
            f"address add {WAN_ADDR} dev wan0",
            "link set lo up",
            "link set lan0 up",
            "link set wan0p up",
            "link set wan0 up",
        ):
            _run("ip", "-n", NS, *command.split())
        yield
    finally:
        _delete_namespace()


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="nwt-ioscli-"))
    path.chmod(0o755)  # the SSH user reaches the secret and the control socket in here
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def ssh_user() -> Iterator[str]:
    password = secrets.token_urlsafe(12)
    try:
        pwd.getpwnam(USER)
        created = False
    except KeyError:
        _run("useradd", "-M", "-d", "/", "-s", "/bin/bash", USER)
        created = True
    try:
        subprocess.run(
            ["chpasswd"], input=f"{USER}:{password}\n", text=True, check=True, timeout=20
        )
        yield password
    finally:
        if created:
            _run("userdel", USER, check=False)


def _cli_python() -> list[str]:
    """An interpreter the SSH user can run: the venv's may live under a 0700 /root."""
    for argv in (
        [sys.executable],
        ["/usr/bin/env", f"PYTHONPATH={REPO}", "/usr/bin/python3"],
    ):
        probe = [*argv, "-c", "import netwarden.lab.ios_cli.session"]
        runas = ["runuser", "-u", USER, "--", *probe]
        done = _run(*runas, check=False, cwd="/")  # where sshd starts it
        if done.returncode == 0:
            log.info("CLI interpreter: %s", " ".join(argv))
            return argv
        log.info("user %s cannot use %s: %s", USER, argv[-1], done.stderr.strip()[-200:])
    pytest.fail(f"no Python interpreter that user {USER} may run imports netwarden")


class _ControlHandler(socketserver.StreamRequestHandler):
    """The lab's devicectl in miniature: one JSON line in, ``ip -n`` on the link, one line out."""

    def handle(self) -> None:
        request = json.loads(self.rfile.readline())
        self.server.requests.append(request)  # type: ignore[attr-defined]
        ifname, up = request.get("ifname"), request.get("up")
        if (
            request.get("op") != "link"
            or ifname not in {"wan0", "lan0"}
            or not isinstance(up, bool)
        ):
            reply = {"ok": False, "error": "bad request"}
        else:
            done = _run("ip", "-n", NS, "link", "set", ifname, "up" if up else "down", check=False)
            reply = {"ok": True} if done.returncode == 0 else {"ok": False, "error": done.stderr}
        self.wfile.write(json.dumps(reply).encode() + b"\n")


@dataclass
class ControlServer:
    path: Path
    requests: list[dict[str, Any]]


@pytest.fixture(scope="module")
def control_server(namespace: None, workdir: Path, ssh_user: str) -> Iterator[ControlServer]:
    owner = pwd.getpwnam(USER)
    control = ControlServer(workdir / "control.sock", [])
    server = socketserver.ThreadingUnixStreamServer(str(control.path), _ControlHandler)
    server.requests = control.requests  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        os.chown(control.path, owner.pw_uid, owner.pw_gid)
        control.path.chmod(0o600)
        yield control
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def rig(workdir: Path, ssh_user: str, control_server: ControlServer) -> Iterator[Rig]:
    rig = Rig(ssh_user, secrets.token_urlsafe(12), control_server.requests)
    owner = pwd.getpwnam(USER)
    secret_file = workdir / "enable-secret"
    secret_file.write_text(rig.secret + "\n")
    os.chown(secret_file, owner.pw_uid, owner.pw_gid)
    secret_file.chmod(0o600)

    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(workdir / "host_key"))
    cli = " ".join(_cli_python()) + (
        f" -m netwarden.lab.ios_cli --hostname {HOSTNAME}"
        f" --enable-secret-file {secret_file} --control {control_server.path}"
    )
    config = workdir / "sshd_config"
    config.write_text(
        f"ListenAddress {DEVICE}:{PORT}\nHostKey {workdir / 'host_key'}\n"
        f"PidFile {workdir / 'sshd.pid'}\nUsePAM no\nPasswordAuthentication yes\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication no\nPermitRootLogin no\n"
        f"AllowUsers {USER}\nUseDNS no\nPrintMotd no\nPrintLastLog no\n"
        f"ForceCommand {cli}\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    _run(SSHD, "-t", "-f", str(config))
    log_path = workdir / "sshd.log"
    with log_path.open("w") as sshd_log:
        sshd = subprocess.Popen(
            ["ip", "netns", "exec", NS, SSHD, "-D", "-e", "-f", str(config)],
            stdout=sshd_log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(sshd)
        yield rig
    finally:
        # Its per-connection processes first: they outlive the listener, and one whose client
        # is cut off when the namespace goes would wait for ever (and keep the user alive).
        processes.stop(processes.children_of(sshd.pid, "sshd"))
        sshd.terminate()  # the sshd we started, by its PID (ip netns exec execs it)
        try:
            sshd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sshd.kill()
            sshd.wait(timeout=10)
        log.info("sshd log:\n%s", log_path.read_text())


def _wait_for_port(sshd: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert sshd.poll() is None, "sshd exited; see its log"
        try:
            with socket.create_connection((DEVICE, PORT), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"sshd did not listen on {DEVICE}:{PORT} within 15 s")


def _sysfs_counters(ifname: str) -> dict[str, int]:
    files = [f"/sys/class/net/{ifname}/statistics/{name}" for name in COUNTERS]
    values = _ns("cat", *files).stdout.split()
    return dict(zip(COUNTERS, map(int, values), strict=True))


def _admin_up(ifname: str) -> bool:
    (link,) = json.loads(_run("ip", "-n", NS, "-j", "link", "show", ifname).stdout)
    return "UP" in link["flags"]


def _timed(label: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    start = time.monotonic()
    result = call(*args, **kwargs)
    log.info("netmiko %s: %.2f s", label, time.monotonic() - start)
    return result


def _send_wan_traffic() -> None:
    """A few datagrams out of wan0 to its peer (a static neighbour entry spares ARP)."""
    (peer,) = json.loads(_run("ip", "-n", NS, "-j", "link", "show", "wan0p").stdout)
    neighbour = f"neigh replace {WAN_PEER} lladdr {peer['address']} dev wan0 nud permanent"
    _run("ip", "-n", NS, *neighbour.split())
    code = (
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"for _ in range(7): s.sendto(b'x' * 100, ('{WAN_PEER}', 9))"
    )
    _ns(sys.executable, "-c", code)


def test_show_commands_parse_and_match_the_kernel_counters(rig: Rig) -> None:
    _send_wan_traffic()
    conn = _timed("connect", rig.connect)
    try:
        enable_output = _timed("enable", conn.enable)
        assert rig.secret not in enable_output  # echo was off on the real pty
        assert conn.find_prompt() == f"{HOSTNAME}#"
        assert "% Invalid input detected at '^' marker." in conn.send_command("sh bogus")
        before = {name: _sysfs_counters(name) for name in ("wan0", "wan0p", "lan0")}
        records = _timed("show interfaces", conn.send_command, "show interfaces", use_textfsm=True)
        raw_wan = conn.send_command("show interfaces wan0")
        after = {name: _sysfs_counters(name) for name in ("wan0", "wan0p", "lan0")}
        brief = _timed("sh ip int br", conn.send_command, "sh ip int br", use_textfsm=True)
        version = _timed("show version", conn.send_command, "show version", use_textfsm=True)
    finally:
        _timed("disconnect", conn.disconnect)

    by_name = {r["interface"]: r for r in records}
    assert set(by_name) == {"lo", "lan0", "wan0", "wan0p"}
    wan = by_name["wan0"]
    assert (wan["link_status"], wan["protocol_status"]) == ("up", "up")
    assert (wan["ip_address"], wan["prefix_length"], wan["mtu"]) == ("198.18.254.5", "30", "1500")
    assert wan["bandwidth"] == "10000000 Kbit"  # veth
    assert before["wan0"]["tx_packets"] >= 7
    assert before["wan0p"]["rx_packets"] >= 7
    for name, record in by_name.items():
        if name == "lo":
            continue
        shown = {
            "rx_packets": int(record["input_packets"]),
            "tx_packets": int(record["output_packets"]),
            "rx_errors": int(record["input_errors"]),
            "tx_errors": int(record["output_errors"]),
        }
        for counter, value in shown.items():
            assert before[name][counter] <= value <= after[name][counter], (name, counter)
    # Bytes are not in the template; they are what SNMP serves as ifHCIn/OutOctets.
    match = re.search(r"(\d+) packets input, (\d+) bytes.*?(\d+) packets output, (\d+) bytes",
                      raw_wan, re.S)  # fmt: skip
    assert match
    assert before["wan0"]["rx_bytes"] <= int(match[2]) <= after["wan0"]["rx_bytes"]
    assert before["wan0"]["tx_bytes"] <= int(match[4]) <= after["wan0"]["tx_bytes"]

    assert {r["interface"]: r["ip_address"] for r in brief} == {
        "lo": "127.0.0.1",
        "lan0": DEVICE,
        "wan0": "198.18.254.5",
        "wan0p": "unassigned",
    }
    assert version[0]["hostname"] == HOSTNAME
    assert version[0]["running_image"]


def test_shutdown_and_no_shutdown_change_the_real_link(rig: Rig) -> None:
    conn = rig.connect()
    try:
        conn.enable()
        _timed("config shutdown", conn.send_config_set, ["interface wan0", "shutdown"])
        assert not _admin_up("wan0")
        (record,) = conn.send_command("show interfaces wan0", use_textfsm=True)
        assert record["link_status"] == "administratively down"
        assert record["bandwidth"] == "10000000 Kbit"  # sysfs hides it now; must not change
        assert " shutdown\n" in conn.send_command("show running-config")

        _timed("config no shutdown", conn.send_config_set, ["int wan0", "no shut"])
        assert _admin_up("wan0")
        assert conn.find_prompt() == f"{HOSTNAME}#"
    finally:
        conn.disconnect()
    assert rig.control_requests[-2:] == [
        {"op": "link", "ifname": "wan0", "up": False},
        {"op": "link", "ifname": "wan0", "up": True},
    ]


def test_wrong_ssh_password_is_an_authentication_error(rig: Rig) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        rig.connect(password="not-the-password")


def test_wrong_enable_secret_leaves_user_exec(rig: Rig) -> None:
    conn = rig.connect(secret="not-the-secret")
    try:
        with pytest.raises(ValueError, match="Failed to enter enable mode"):
            conn.enable()
        assert conn.find_prompt() == f"{HOSTNAME}>"
    finally:
        conn.disconnect()


def test_lost_carrier_is_down_not_administratively_down(rig: Rig) -> None:
    _run("ip", "-n", NS, "link", "set", "wan0p", "down")
    try:
        conn = rig.connect()
        try:
            (record,) = conn.send_command("sh int wan0", use_textfsm=True)
        finally:
            conn.disconnect()
    finally:
        _run("ip", "-n", NS, "link", "set", "wan0p", "up")
    assert (record["link_status"], record["protocol_status"]) == ("down", "down")
