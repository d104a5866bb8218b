"""The report commands' client side: usage errors, and a draft that arrives damaged (a
stand-in collector on loopback announces the hash of other bytes) is never written."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.cli_in_process import run_in_process

BODY = b"%PDF-1.7 not what was hashed\n"


class _Damaging(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("X-Netwarden-SHA256", hashlib.sha256(b"the original").hexdigest())
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    do_GET = do_POST = _answer

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


@pytest.mark.parametrize(
    "args",
    [
        ["report", "INC-20261123-001", "--form", "initial", "--format", "pdf"],
        ["report", "INC-20261123-001", "--form", "notice"],
        ["summary", "--from", "2026-07-01", "--to", "2026-12-31", "--format", "docx"],
    ],
)
def test_a_damaged_draft_is_refused_and_nothing_written(
    damaging: str, tmp_path: Path, args: list[str]
) -> None:
    env = {"NETWARDEN_COLLECTOR": damaging, "NETWARDEN_TOKEN": "nwu.u.x"}
    out = tmp_path / "draft"
    done = run_in_process("incident", *args, "--insecure", "--output", str(out), env=env)
    assert done.returncode == 1 and "arrived damaged" in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []  # neither the file nor its .partial


def test_a_damaged_markdown_draft_never_reaches_stdout(damaging: str) -> None:
    env = {"NETWARDEN_COLLECTOR": damaging, "NETWARDEN_TOKEN": "nwu.u.x"}
    args = ["report", "INC-20261123-001", "--form", "notice", "--insecure"]
    done = run_in_process("incident", *args, env=env)
    assert done.returncode == 1 and done.stdout == "" and "damaged" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "INC-20261123-001"], "give --type, --confidential"),
        (["report", "INC-20261123-001"], "Missing option '--form'"),
        (["report", "INC-20261123-001", "--form", "summary"], "'summary' is not one of"),
        (
            ["report", "INC-20261123-001", "--form", "final", "--format", "odt"],
            "'odt' is not one of",
        ),
        (["set", "INC-20261123-001", "--handled-with", "friends"], "'friends' is not one of"),
        (["set", "INC-20261123-001", "--confidential", "maybe"], "'maybe' is not one of"),
        (["export", "INC-20261123-001"], "Missing option '--output'"),
        (["summary", "--from", "2026-07-01"], "Missing option '--to'"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    env = {"NETWARDEN_COLLECTOR": "http://127.0.0.1:9", "NETWARDEN_TOKEN": "nwu.u.x"}
    done = run_in_process("incident", *args, "--insecure", env=env)
    assert done.returncode == 2 and message in " ".join(done.stderr.split()), done.stderr


def test_an_unreachable_collector_is_one_line(tmp_path: Path) -> None:
    env = {"NETWARDEN_COLLECTOR": "http://127.0.0.1:9", "NETWARDEN_TOKEN": "nwu.u.x"}
    done = run_in_process(
        "incident",
        "export",
        "INC-20261123-001",
        "--output",
        str(tmp_path / "x.zip"),
        "--insecure",
        env=env,
    )
    assert done.returncode == 1 and done.stderr.startswith("netwarden: error: cannot reach")
    assert len(done.stderr.splitlines()) == 1 and list(tmp_path.iterdir()) == []
