"""A webhook receiver standing in for people: Alertmanager's notifications to the response
team, the on-duty lead and the dead man's switch land here, one JSON line each in a file.

Run as its own process (``python -m netwarden.lab.demo.sink HOST:PORT FILE``) so that it keeps
receiving after the demo's driver exits with ``--keep``: ``tail -f FILE`` shows what a
Telegram group or an e-mail inbox would get.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from netwarden.hostport import parse_hostport


def serve(listen: str, record: Path) -> None:
    host, port = parse_hostport(listen)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self.send_response(400)
                self.end_headers()
                return
            line = json.dumps({"at": time.time(), "path": self.path, "body": body})
            with lock, record.open("a", encoding="utf-8") as sink:
                sink.write(line + "\n")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass  # the record file is the log

    ThreadingHTTPServer((host, port), Handler).serve_forever()


def read(record: Path) -> list[dict[str, Any]]:
    """Every notification received so far, oldest first."""
    if not record.exists():
        return []
    lines = record.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


if __name__ == "__main__":
    serve(sys.argv[1], Path(sys.argv[2]))
