"""prometheus/rules/netwarden-reports.yml (rendered from prometheus/thresholds.yml): promtool
accepts it and its unit test passes (prometheus/tests/netwarden-reports.yml); it reads the
metric the collector exports, and each alert has its runbook page. promtool is a test
dependency: these fail, never skip."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[3]
RULES = ROOT / "prometheus" / "rules" / "netwarden-reports.yml"
TESTS = ROOT / "prometheus" / "tests" / "netwarden-reports.yml"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run scripts/setup.sh (Debian package prometheus)"
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_promtool_checks_and_tests_the_rules() -> None:
    checked = _promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 2 rules found" in checked.stdout
    tested = _promtool("test", "rules", str(TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_rules_read_the_collector_metric_and_have_runbooks() -> None:
    from netwarden.collector.api import report_metrics

    source = Path(report_metrics.__file__).read_text(encoding="utf-8")
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"][0]["rules"]
    for rule in rules:
        metric = "netwarden_incident_report_due_timestamp_seconds"
        assert metric in rule["expr"] and f'"{metric}"' in source
        assert rule["labels"]["incident"] == "report/{{ $labels.incident_id }}"
        runbook = ROOT / rule["annotations"]["runbook_url"]
        assert runbook.is_file(), runbook
        assert rule["alert"] in runbook.read_text(encoding="utf-8")
