"""The committed rules: promtool accepts them, their promtool tests pass, every alert has a
case that fires and one that stays quiet, and those cases would catch a broken rule.

promtool is a test dependency (scripts/setup.sh installs Debian's ``prometheus``): these tests
fail, never skip, without it.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from netwarden.alerting.rules import GROUPS
from netwarden.alerting.rules.render import render_group
from netwarden.alerting.rules.spec import AlertSpec, GroupSpec
from netwarden.alerting.thresholds import load_thresholds

REPO = Path(__file__).parents[3]
RULES = REPO / "prometheus" / "rules"
TESTS = REPO / "prometheus" / "tests"
THRESHOLDS = REPO / "prometheus" / "thresholds.yml"
ALERTS = sorted({alert.alert for group in GROUPS for alert in group.alerts})
NEVER_QUIET = {"Watchdog"}  # it fires always, by design


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    found = shutil.which("promtool")
    assert found, "promtool is missing: run scripts/setup.sh (Debian package prometheus)"
    return subprocess.run(
        [found, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _test_files() -> list[Path]:
    return sorted(TESTS.glob("*.yml"))


def _cases() -> dict[str, list[list[dict[str, Any]]]]:
    """alertname -> the exp_alerts of every alert_rule_test that names it."""
    cases: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for path in _test_files():
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                cases[case["alertname"]].append(case["exp_alerts"])
    return cases


def test_promtool_checks_every_rule_file() -> None:
    files = sorted(RULES.glob("netwarden-*.yml"))
    assert [f.name for f in files] == sorted(group.file for group in GROUPS)
    done = promtool("check", "rules", *map(str, files))
    assert done.returncode == 0, done.stdout + done.stderr
    found = sum(int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", done.stdout))
    assert found == sum(len(group.rules) for group in GROUPS)


def test_the_promtool_tests_pass() -> None:
    done = promtool("test", "rules", *map(str, _test_files()))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(_test_files())


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    cases = _cases()
    for alert in ALERTS:
        assert any(cases[alert]), f"{alert}: no test case where it fires"
        if alert not in NEVER_QUIET:
            assert any(not expected for expected in cases[alert]), f"{alert}: no quiet case"


def test_every_expected_alert_carries_severity_site_and_incident() -> None:
    for alert, cases in _cases().items():
        for expected in cases:
            for labels in (case["exp_labels"] for case in expected):
                assert {"severity", "site", "incident"} <= set(labels), (alert, labels)


def _template_labels(text: str) -> set[str]:
    return set(re.findall(r"\$labels\.(\w+)", text))


def test_templates_name_only_labels_the_series_have() -> None:
    """A typo in ``{{ $labels.x }}`` renders as nothing. Templates see the labels of the
    series (not those the rule adds): every label a rule's labels or annotations name is on
    the series its alerts come from in the tests."""
    seen: dict[str, set[str]] = defaultdict(set)
    for alert, cases in _cases().items():
        for expected in cases:
            for case in expected:
                seen[alert] |= set(case["exp_labels"])
    # The escalation's series carry a severity of their own (the incident's).
    series_severity = {"NetwardenIncidentUnacknowledged"}
    for group in GROUPS:
        for spec in group.alerts:
            added = {"incident", *spec.labels}
            added |= set() if spec.alert in series_severity else {"severity"}
            texts = [
                spec.incident,
                *spec.labels.values(),
                spec.summary,
                spec.summary_vi,
                spec.description,
                spec.description_vi,
            ]
            named = set().union(*map(_template_labels, texts))
            assert named <= seen[spec.alert] - added, (spec.alert, named - seen[spec.alert])


def _mutated(group: GroupSpec, alert: str, expr: str) -> GroupSpec:
    rules = tuple(
        dataclasses.replace(rule, expr=expr)
        if isinstance(rule, AlertSpec) and rule.alert == alert
        else rule
        for rule in group.rules
    )
    return dataclasses.replace(group, rules=rules)


def _naming(path: Path, alert: str) -> dict[str, Any]:
    """The test file at ``path`` with only its test groups that name ``alert`` (a case for it,
    or an expression or series that mentions it): the others cannot catch a change to that
    rule, and promtool evaluates every group over its whole time range (the links' file has
    fifteen)."""
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    document["tests"] = [test for test in document["tests"] if alert in yaml.safe_dump(test)]
    return document


def _run_against(tmp: Path, group: GroupSpec, alert: str, expr: str) -> str:
    """The promtool test output of ``group``'s test files against its rules, with ``alert``'s
    expression replaced by ``expr``."""
    thresholds = load_thresholds([THRESHOLDS])
    (tmp / "rules").mkdir(exist_ok=True)
    text = render_group(_mutated(group, alert, expr), thresholds, annotations=False)
    (tmp / "rules" / group.file).write_text(text)
    tests = []
    for path in _test_files():
        if f"rules/{group.file}" in path.read_text() and alert in path.read_text():
            (tmp / path.name).write_text(yaml.safe_dump(_naming(path, alert), sort_keys=False))
            tests.append(path.name)
    assert tests, f"no test file tests {alert}"
    done = promtool("test", "rules", *tests, cwd=tmp)
    assert done.returncode != 0, f"{alert}: the tests pass with the rule replaced by {expr!r}"
    return done.stdout + done.stderr


@pytest.mark.parametrize("alert", ALERTS)
def test_the_cases_catch_a_rule_that_never_fires(tmp_path: Path, alert: str) -> None:
    (group,) = [g for g in GROUPS if any(a.alert == alert for a in g.alerts)]
    assert alert in _run_against(tmp_path, group, alert, "vector(1) == 2")


@pytest.mark.parametrize("alert", sorted(set(ALERTS) - NEVER_QUIET))
def test_the_cases_catch_a_rule_that_always_fires(tmp_path: Path, alert: str) -> None:
    (group,) = [g for g in GROUPS if any(a.alert == alert for a in g.alerts)]
    assert alert in _run_against(tmp_path, group, alert, "vector(1)")
