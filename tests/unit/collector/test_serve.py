"""A real collector process over HTTPS: enrolment pinned to the join token's CA hash, SIGKILL
and restart without losing agents or results, graceful SIGTERM that ends long-polls."""

from __future__ import annotations

import hashlib
import os
import signal
import ssl
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from netwarden.collector.tls import ensure_tls
from tests.ports import free_port
from tests.unit.collector.collector_process import CollectorProcess, run_cli
from tests.unit.collector.conftest import CONTRACT, Clock, heartbeat_body

AGENT = "agent-so-khcn"


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[CollectorProcess]:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(CONTRACT.read_text(encoding="utf-8"), encoding="utf-8")
    # A port of its own, not the kernel's choice: a test restarts it on the same port, and an
    # ephemeral one may be taken by another connection in between (tests/ports.free_port).
    proc = CollectorProcess(inventory, tmp_path / "data", free_port())
    proc.start()
    try:
        yield proc
    finally:
        proc.stop(signal.SIGKILL)


def _pinned(ca_pem: str) -> ssl.SSLContext:
    """What an enrolling agent does: trust only the CA the join token vouches for."""
    return ssl.create_default_context(cadata=ca_pem)


def _enrol(collector: CollectorProcess) -> tuple[str, ssl.SSLContext]:
    made = run_cli("collector", "token", "create", "--agent", AGENT, "-i",
                   str(collector.inventory), "--data-dir", str(collector.data_dir))  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    prefix, _, ca_hash = token.split(".")
    assert (prefix, ca_hash) == ("nwj", collector.ca_sha256)
    # Fetch the CA without trusting anything yet, and check it against the token's hash.
    ca_pem = httpx.get(f"{collector.url}/api/v1/ca", verify=False).json()["ca_pem"]
    der = x509.load_pem_x509_certificate(ca_pem.encode()).public_bytes(serialization.Encoding.DER)
    assert hashlib.sha256(der).hexdigest() == ca_hash
    context = _pinned(ca_pem)
    answer = httpx.post(f"{collector.url}/api/v1/enroll", verify=context,
                        json={"token": token, "hostname": "box", "version": "0.1.0"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()["credential"], context


def test_enrol_over_pinned_tls_and_a_wrong_ca_is_refused(
    collector: CollectorProcess, tmp_path: Path
) -> None:
    credential, context = _enrol(collector)
    auth = {"Authorization": f"Bearer {credential}"}
    got = httpx.get(f"{collector.url}/api/v1/agents/{AGENT}/assignment", headers=auth,
                    verify=context)  # fmt: skip
    assert got.status_code == 200
    # Another CA (a man in the middle's, or another province's collector) does not verify.
    other = ensure_tls(tmp_path / "other", ["127.0.0.1"])
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{collector.url}/-/healthy", verify=_pinned(other.ca_cert.read_text()))
    # The hostname is checked too: the certificate names 127.0.0.1 and localhost only.
    alias = collector.url.replace("127.0.0.1", "127.0.0.2")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{alias}/-/healthy", verify=context)


def test_sigkill_and_restart_keep_agents_and_results(collector: CollectorProcess) -> None:
    credential, context = _enrol(collector)
    auth = {"Authorization": f"Bearer {credential}"}
    base = f"{collector.url}/api/v1/agents/{AGENT}"
    clock = Clock(time.time())
    assert httpx.post(f"{base}/heartbeat", headers=auth, verify=context,
                      json=heartbeat_body(clock)).status_code == 200  # fmt: skip
    batch = [{"id": str(uuid.uuid4()), "kind": "event", "at": time.time(), "job": None,
              "payload": {"n": n}} for n in range(3)]  # fmt: skip
    first = httpx.post(f"{base}/results", headers=auth, verify=context, json={"results": batch})
    assert first.json() == {"accepted": 3, "duplicates": 0}

    assert collector.stop(signal.SIGKILL) == -signal.SIGKILL
    collector.start()  # same data dir and port: the CA and the store are reused

    again = httpx.post(f"{base}/results", headers=auth, verify=context, json={"results": batch})
    assert again.json() == {"accepted": 0, "duplicates": 3}
    made = run_cli("collector", "token", "create", "--user", "ops", "--role", "viewer",
                   "--data-dir", str(collector.data_dir))  # fmt: skip
    viewer = {"Authorization": f"Bearer {made.stdout.strip()}"}
    stored = httpx.get(f"{base}/results", headers=viewer, verify=context).json()["results"]
    assert [r["id"] for r in stored] == [r["id"] for r in batch]
    fleet = httpx.get(f"{collector.url}/api/v1/fleet", headers=viewer, verify=context).json()
    assert [(a["id"], a["state"]) for a in fleet["agents"]] == [(AGENT, "up")]


def test_sigterm_ends_long_polls_and_exits_cleanly(collector: CollectorProcess) -> None:
    credential, context = _enrol(collector)
    answers: list[httpx.Response] = []
    sent = threading.Event()

    def trace(event: str, info: object) -> None:
        if event == "http11.send_request_body.complete":
            sent.set()

    def long_poll() -> None:
        with httpx.Client(verify=context, timeout=70) as client:
            answers.append(client.get(f"{collector.url}/api/v1/agents/{AGENT}/jobs?wait=60",
                                      headers={"Authorization": f"Bearer {credential}"},
                                      extensions={"trace": trace}))  # fmt: skip

    waiter = threading.Thread(target=long_poll)
    waiter.start()
    # The whole request is on the wire before the signal: the server reads it on its next
    # loop turn, long before uvicorn acts on SIGTERM (it checks every 0.1 s).
    assert sent.wait(30), "the long-poll was never sent"
    start = time.monotonic()
    assert collector.stop(signal.SIGTERM) == 0
    waiter.join(10)
    assert time.monotonic() - start < 8
    assert answers and answers[0].json() == {"jobs": []}


def test_serve_keeps_its_data_private_whatever_the_umask(tmp_path: Path) -> None:
    """Under a shell's umask 022, and over a data dir an older version (or restore) left
    world-readable: the dir and evidence/ are 0700, the store and its WAL files 0600."""
    from netwarden.collector.store import open_store

    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(CONTRACT.read_text(encoding="utf-8"), encoding="utf-8")
    data = tmp_path / "data"
    open_store(f"sqlite:///{data / 'collector.db'}").close()
    (data / "evidence").mkdir()
    for path, mode in [(data, 0o755), (data / "evidence", 0o755), (data / "collector.db", 0o644)]:
        os.chmod(path, mode)
    proc = CollectorProcess(inventory, data, umask=0o022)
    proc.start()
    try:
        _enrol(proc)  # a write: the WAL and its index are in use now
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        store_files = ("collector.db", "collector.db-wal", "collector.db-shm")
        assert [modes[n] for n in store_files] == [0o600, 0o600, 0o600]
        assert (modes["evidence"], modes["tls"]) == (0o700, 0o700)
    finally:
        proc.stop(signal.SIGKILL)
