"""The incident commands' client side: usage errors, an unreachable collector, and evidence
that arrives damaged (a stand-in collector on loopback sends the wrong bytes)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.cli_in_process import run_in_process
from tests.ports import free_port

BODY = b"show running-config\n"


class _Damaging(BaseHTTPRequestHandler):
    """Answers every GET with BODY but announces the hash of something else."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("X-Netwarden-SHA256", hashlib.sha256(b"the original").hexdigest())
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def damaging() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Damaging)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_damaged_evidence_is_refused_and_nothing_written(damaging: str, tmp_path: Path) -> None:
    env = {"NETWARDEN_COLLECTOR": damaging, "NETWARDEN_TOKEN": "nwu.u.x"}
    out = tmp_path / "ev.txt"
    args = ["incident", "evidence", "get", "INC-20261123-001", "1", "--insecure"]
    to_file = run_in_process(*args, "--output", str(out), env=env)
    assert to_file.returncode == 1 and "evidence arrived damaged" in to_file.stderr
    assert list(tmp_path.iterdir()) == []  # neither the file nor its .partial
    to_stdout = run_in_process(*args, env=env)
    assert to_stdout.returncode == 1 and to_stdout.stdout == ""


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["list"], {"NETWARDEN_TOKEN": ""}, 2, "NETWARDEN_TOKEN is not set"),
        (["list"], {"NETWARDEN_COLLECTOR": ""}, 2, "no collector: pass --collector URL"),
        (["list"], {}, 2, "is plain HTTP: pass --insecure"),
        (["list", "--ca-file", "/nonexistent.pem"], {"NETWARDEN_COLLECTOR": "https://x"}, 2,
         "--ca-file /nonexistent.pem: no such file"),
        (["list", "--insecure"], {}, 1, "cannot reach the collector at http://127.0.0.1:"),
        (["evidence", "add", "INC-20261123-001", "/nonexistent", "--insecure"], {}, 2,
         "/nonexistent: no such file"),
        (["list", "--status", "gone"], {}, 2, "Invalid value for '--status'"),
    ],
)  # fmt: skip
def test_usage_and_connection_errors(
    args: list[str], env: dict[str, str], code: int, message: str
) -> None:
    base = {"NETWARDEN_COLLECTOR": f"http://127.0.0.1:{free_port()}", "NETWARDEN_TOKEN": "nwu.u.x"}
    done = run_in_process("incident", *args, env={**base, **env})
    assert done.returncode == code, done.stderr
    assert message in done.stderr
