"""Every Prometheus scrape configuration of the agents in the repository (docs, demo, tests,
benchmarks) is the same job, ``netwarden-agents``, with ``honor_labels: true``: without it
Prometheus renames each series' ``site`` to ``exported_site`` and writes the agent's site into
``site``. The lab's fleet test proves the behaviour against a real Prometheus; this keeps every
copy of the configuration saying so."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FOLDERS = ("docs", "scripts", "tests", "bench", "examples", "prometheus", "grafana", "lab")
SUFFIXES = {".md", ".sh", ".py", ".yml", ".yaml", ".json"}
JOB = "netwarden-agents"
# The collector's own metrics are scraped under their own job; nothing else is allowed.
COLLECTOR_JOB = "netwarden-collector"
# job_name: X (YAML) or "job_name": "X" (a config built in Python or JSON)
JOB_NAME = re.compile(r"""["']?job_name["']?\s*:\s*["']?([A-Za-z0-9_.${}-]+|JOB)""")
HONOR = re.compile(r"""["']?honor_labels["']?\s*:\s*(true|True)\b""")
# A PromQL selector on a job: {job="..."}, or a label string starting 'job="...' in Python
SELECTOR = re.compile(r"""[{'"]job\s*=~?\s*\\?["']([^"'\\]+)""")


def _texts() -> dict[str, str]:
    found = {"README.md": (REPO / "README.md").read_text(encoding="utf-8")}
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file() and path != Path(__file__).resolve():
                found[str(path.relative_to(REPO))] = path.read_text(
                    encoding="utf-8", errors="replace"
                )
    return found


def test_every_scrape_config_of_the_agents_honours_labels_under_one_job_name() -> None:
    configs = 0
    for name, text in _texts().items():
        for match in JOB_NAME.finditer(text):
            configs += 1
            where = f"{name}:{text.count(chr(10), 0, match.start()) + 1}"
            assert match.group(1) in (JOB, "JOB", COLLECTOR_JOB), f"{where}: job {match.group(1)!r}"
            if match.group(1) == COLLECTOR_JOB:
                continue
            block = text[match.start() : match.start() + 400]
            assert HONOR.search(block), f"{where}: scrape config without honor_labels: true"
    assert configs >= 3  # docs/collector.md, scripts/demo.sh, tests/lab/fleet_lab.py


def test_every_job_selector_names_the_one_job() -> None:
    for name, text in _texts().items():
        for match in SELECTOR.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            assert match.group(1) in (JOB, COLLECTOR_JOB, "{AGENTS_JOB}"), (
                f"{name}:{line}: job={match.group(1)!r}"
            )
