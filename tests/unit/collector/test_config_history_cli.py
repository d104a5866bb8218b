"""``netwarden config history|diff --collector URL`` against a real collector over HTTPS: an
agent posts revisions through the real API, a user reads them back through the real CLI."""

from __future__ import annotations

import json
import signal
import ssl
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from netwarden.agent.sync.config_revisions import Device, revision_payload
from netwarden.config_diff import Revision
from tests.cli_in_process import run_in_process
from tests.unit.collector.collector_process import CollectorProcess
from tests.unit.collector.conftest import CONTRACT

ICT = timezone(timedelta(hours=7))
DEVICE = Device("sw-so-khcn-core", "so-khcn", "switch")
C1, C2 = "c1" * 20, "c2" * 20


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    root = tmp_path_factory.mktemp("configs")
    inventory = root / "inventory.yaml"
    inventory.write_text(CONTRACT.read_text(encoding="utf-8"), encoding="utf-8")
    proc = CollectorProcess(inventory, root / "data")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop(signal.SIGKILL)


def _token(collector: CollectorProcess, *args: str) -> str:
    where = ["--data-dir", str(collector.data_dir)]
    done = run_in_process("collector", "token", "create", *args, *where)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _result(commit: str, text: str, minute: int, previous: str | None) -> dict[str, object]:
    when = datetime(2026, 12, 7, 9, minute, tzinfo=ICT)
    payload = revision_payload(DEVICE, Revision(commit, when), previous, text)
    return {"id": str(uuid.uuid4()), "kind": "config-revision", "at": when.timestamp(),
            "job": None, "payload": payload}  # fmt: skip


@pytest.fixture(scope="module")
def viewer(collector: CollectorProcess) -> str:
    join = _token(collector, "--agent", "agent-so-khcn", "-i", str(collector.inventory))
    ca = ssl.create_default_context(cafile=str(collector.data_dir / "tls" / "ca.pem"))
    with httpx.Client(base_url=collector.url, verify=ca) as client:
        body = {"token": join, "hostname": "h", "version": "0.1.0"}
        enrolled = client.post("/api/v1/enroll", json=body)
        cred = enrolled.json()["credential"]
        results = [_result(C1, "hostname sw\n!\n", 0, None),
                   _result(C2, "hostname sw\n!\n shutdown\n", 30, C1)]  # fmt: skip
        posted = client.post("/api/v1/agents/agent-so-khcn/results", json={"results": results},
                             headers={"Authorization": f"Bearer {cred}"})  # fmt: skip
        assert posted.json() == {"accepted": 2, "duplicates": 0}
    return _token(collector, "--user", "watcher", "--role", "viewer")


def _config(collector: CollectorProcess, token: str, *args: str):  # type: ignore[no-untyped-def]
    env = {"NETWARDEN_TOKEN": token,
           "NETWARDEN_CA_FILE": str(collector.data_dir / "tls" / "ca.pem")}  # fmt: skip
    return run_in_process("config", *args, "--collector", collector.url, env=env)


def test_history_from_the_collector(collector: CollectorProcess, viewer: str) -> None:
    table = _config(collector, viewer, "history", "sw-so-khcn-core")
    assert table.returncode == 0, table.stderr
    header, _, newest, oldest = table.stdout.splitlines()
    assert header.split() == ["commit", "time", "agent"]
    assert newest.split() == [C2[:12], "2026-12-07T09:30:00+07:00", "agent-so-khcn"]
    assert oldest.split()[0] == C1[:12]
    listed = json.loads(_config(collector, viewer, "history", "sw-so-khcn-core", "-o",
                                "json").stdout)  # fmt: skip
    assert [(r["commit"], r["time"]) for r in listed] == [
        (C2, "2026-12-07T09:30:00+07:00"),
        (C1, "2026-12-07T09:00:00+07:00"),
    ]


def test_diff_from_the_collector_is_the_stores_text(
    collector: CollectorProcess, viewer: str
) -> None:
    diff = _config(collector, viewer, "diff", "sw-so-khcn-core")
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout == (
        f"--- sw-so-khcn-core.cfg@{C1[:12]}\t2026-12-07T09:00:00+07:00\n"
        f"+++ sw-so-khcn-core.cfg@{C2[:12]}\t2026-12-07T09:30:00+07:00\n"
        "@@ -1,2 +1,3 @@\n hostname sw\n !\n+ shutdown\n"
    )
    as_json = json.loads(_config(collector, viewer, "diff", "sw-so-khcn-core", "--to", C1[:6],
                                 "-o", "json").stdout)  # fmt: skip
    assert as_json["from"] is None and as_json["to"]["commit"] == C1


def test_errors_are_one_line(collector: CollectorProcess, viewer: str) -> None:
    unknown = _config(collector, viewer, "history", "sw-nowhere")
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "netwarden: error: collector answered 404: the collector holds no configuration of "
        "sw-nowhere\n",
    )
    both = _config(collector, viewer, "history", "sw-so-khcn-core", "--store", "/tmp/x")
    assert both.returncode == 2 and "not both" in both.stderr
    refused = _config(collector, "nwu.watcher.wrong", "diff", "sw-so-khcn-core")
    assert refused.returncode == 1 and "needs a token with the viewer role" in refused.stderr
