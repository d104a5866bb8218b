"""A lab incident becomes national report drafts: the core's agent polls the real snmpd, a
real Prometheus evaluates a link-down rule on its metrics, a real Alertmanager delivers to the
collector (the lab's inventory and its reporting.yaml), a WAN link of the lab is cut and
restored; every form is made in every format and none shows a lab address.

``NETWARDEN_KEEP_DRAFTS=DIR`` keeps the drafts (and PNG pages of the PDFs) for a person."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from netwarden.lab import wan
from netwarden.reports.window import VIETNAM
from tests.cli_in_process import run_in_process
from tests.incidents.alertmanager_process import AlertmanagerProcess, config
from tests.lab.agent_process import AgentProcess, fast_inventory, free_port
from tests.lab.conftest import Lab
from tests.report_reading import addresses, docx_text, pdf_pages, pdf_text
from tests.unit.collector.collector_process import CollectorProcess
from tests.waiting import wait_for

# The budget counts the first test's share of the module's fleet start, which took up to
# 140 s at a load of 20 (lab tier -n 4 beside other engineers' runs): a hang bound, no more.
pytestmark = pytest.mark.timeout(600)

LINK = "tsl-so-tc"
RULES = """
groups:
  - name: lab-links
    rules:
      - alert: LinkDown
        expr: (ifOperStatus == 2) * on(device, ifName) group_left(link) netwarden_link_info
        for: 2s
        labels:
          severity: critical
          incident: "link/{{ $labels.link }}"
        annotations:
          summary: >-
            Mất kết nối tuyến {{ $labels.link }} ({{ $labels.device }} {{ $labels.ifName }},
            agent {{ $labels.instance }})
"""


class Prometheus:
    """Debian's Prometheus on loopback: scrapes one agent every second, alerts Alertmanager."""

    def __init__(self, folder: Path, agent_port: int, alertmanager_port: int) -> None:
        folder.mkdir(parents=True)
        (folder / "rules.yml").write_text(RULES, encoding="utf-8")
        settings = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(folder / "rules.yml")],
            "alerting": {
                "alertmanagers": [
                    {"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}
                ]
            },
            "scrape_configs": [
                {
                    "job_name": "netwarden-agents",
                    "honor_labels": True,
                    "static_configs": [{"targets": [f"127.0.0.1:{agent_port}"]}],
                }
            ],
        }
        (folder / "prometheus.yml").write_text(json.dumps(settings), encoding="utf-8")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = folder / "prometheus.log"
        argv = [
            "prometheus",
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address={self.url.removeprefix('http://')}",
        ]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        wait_for("prometheus ready", self._ready, 30, describe=lambda: self.log.read_text()[-2000:])

    def _ready(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()[-2000:]
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@dataclass
class Pipeline:
    lab: Lab
    collector: CollectorProcess
    tokens: dict[str, str]

    def cli(self, *args: str) -> str:
        """An ``incident`` command in this process (docs/testing.md: the same parsing, output
        and exit code, without a Python start-up per command)."""
        env = {
            "NETWARDEN_COLLECTOR": self.collector.url,
            "NETWARDEN_TOKEN": self.tokens["responder"],
        }
        done = run_in_process("incident", *args, "--insecure", env=env)
        assert done.returncode == 0, done.stderr
        return str(done.stdout)

    def incidents(self) -> list[dict[str, object]]:
        found: list[dict[str, object]] = json.loads(self.cli("list", "--output", "json"))[
            "incidents"
        ]
        return found


@pytest.fixture
def pipeline(lab: Lab, tmp_path: Path) -> Iterator[Pipeline]:
    fast = fast_inventory(lab.state.inventory, tmp_path / "inventory.yaml")
    data_dir = tmp_path / "collector"
    tokens = {}
    for role in ("webhook", "responder"):
        done = run_in_process(
            "collector",
            "token",
            "create",
            "--user",
            f"u-{role}",
            "--role",
            role,
            "--data-dir",
            str(data_dir),
        )
        assert done.returncode == 0, done.stderr
        tokens[role] = done.stdout.strip()
    (tmp_path / "am.token").write_text(tokens["webhook"] + "\n", encoding="utf-8")
    am_port = free_port()
    extra = [
        "--reporting",
        str(lab.root / "reporting.yaml"),
        "--alertmanager",
        f"http://127.0.0.1:{am_port}",
    ]
    started: list[object] = []
    try:
        # The agent starts polling while the collector, Alertmanager and Prometheus start.
        agent = AgentProcess(fast, "agent-core", tmp_path / "agent.log")
        started.append(agent)
        collector = CollectorProcess(fast, data_dir, insecure=True, extra=extra)
        collector.start()
        started.append(collector)
        am = AlertmanagerProcess(
            tmp_path / "am", config(collector.url, tmp_path / "am.token"), port=am_port
        )
        am.start()
        started.append(am)
        started.append(Prometheus(tmp_path / "prometheus", agent.port, am_port))
        agent.wait_ready()
        # The link is up before the test cuts it (each look parses a whole page: 1 s apart).
        wait_for(
            "core-rtr wan2 up on the agent",
            lambda: agent.value("ifOperStatus", device="core-rtr", ifName="wan2") == 1,
            60,
            every=1,
        )
        yield Pipeline(lab, collector, tokens)
    finally:
        for process in reversed(started):
            if isinstance(process, CollectorProcess):
                process.stop(signal.SIGKILL)
            else:
                process.stop()  # type: ignore[attr-defined]


def _texts(folder: Path, name: str) -> str:
    """The text a reader sees in a draft, whatever its format."""
    path = folder / name
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    if path.suffix == ".docx":
        return "\n".join(docx_text(path))
    pages = pdf_pages(path, path.with_suffix(""))
    assert pages
    return pdf_text(path)


def test_a_lab_link_cut_becomes_report_drafts(pipeline: Pipeline, tmp_path: Path) -> None:
    p = pipeline
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    wan.fault(p.lab.root, LINK, down=True)
    try:
        found = wait_for(
            "the incident from the lab",
            lambda: [i for i in p.incidents() if i["key"] == f"link/{LINK}"],
            90,
            every=1,
        )
        inc = str(found[0]["id"])
        p.cli(
            "set",
            inc,
            "--type",
            "other",
            "--handled-with",
            "alone",
            "--description",
            f"Đứt tuyến truyền số liệu chuyên dùng {LINK} (cổng wan2 của core-rtr)",
        )
        for form in ("notice", "initial"):
            for fmt in ("md", "docx", "pdf"):
                p.cli(
                    "report",
                    inc,
                    "--form",
                    form,
                    "--format",
                    fmt,
                    "--output",
                    str(drafts / f"{form}.{fmt}"),
                )
    finally:
        wan.fault(p.lab.root, LINK, down=False)
    wait_for(
        "the lab incident resolved",
        lambda: [i for i in p.incidents() if i["id"] == inc and i["status"] == "resolved"],
        90,
        every=1,
    )
    # The summary's days around today's (Vietnam time), not a fixed year: the incident was
    # opened today, and a fixed year's summary finds nothing once that year is over.
    today = datetime.now(VIETNAM).date()
    first, last = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    for fmt in ("md", "docx", "pdf"):
        p.cli(
            "report",
            inc,
            "--form",
            "final",
            "--format",
            fmt,
            "--output",
            str(drafts / f"final.{fmt}"),
        )
        p.cli(
            "summary",
            "--from",
            first,
            "--to",
            last,
            "--format",
            fmt,
            "--output",
            str(drafts / f"summary.{fmt}"),
        )
    for name in sorted(os.listdir(drafts)):
        if name.endswith((".md", ".docx", ".pdf")):
            text = _texts(drafts, name)
            assert not addresses(text), f"{name} shows {addresses(text)}"
            assert "LinkDown" in text or name.startswith(("notice", "summary")), name
    initial = (drafts / "initial.md").read_text(encoding="utf-8")
    assert "[x] Chưa được xử lý" in initial and "cảnh báo: LinkDown" in initial
    final = (drafts / "final.md").read_text(encoding="utf-8")
    assert "Mất kết nối tuyến tsl-so-tc" in final and "[địa chỉ nội bộ]" in final
    summary = (drafts / "summary.md").read_text(encoding="utf-8")
    assert "| 10 | Các hình thức tấn công khác | 1 | 0 | 0 | 0 | 1 |" in summary
    bundle = tmp_path / "bundle.zip"
    p.cli("export", inc, "--output", str(bundle))
    keep = os.environ.get("NETWARDEN_KEEP_DRAFTS")
    if keep:
        shutil.copytree(drafts, keep, dirs_exist_ok=True)
        shutil.copy(bundle, keep)
