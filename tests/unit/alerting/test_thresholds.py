"""prometheus/thresholds.yml: loaded strictly, overridden value by value, every problem
reported as FILE:LINE: path: message; the rules render from it and the committed rule files
are exactly that rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.alerting.rule_files import check_files, write_files
from netwarden.alerting.rules import alert_params
from netwarden.alerting.thresholds import duration_seconds, load_thresholds
from netwarden.errors import ConfigError

REPO = Path(__file__).parents[3]
THRESHOLDS = REPO / "prometheus" / "thresholds.yml"
TEXT = THRESHOLDS.read_text()


def _line_of(text: str, fragment: str, after: str = "") -> int:
    """1-based line of the first ``fragment`` after the first ``after``."""
    start = text.index(after) if after else 0
    return text[: text.index(fragment, start)].count("\n") + 1


def _problems(tmp_path: Path, *texts: str) -> list[str]:
    paths = []
    for index, text in enumerate(texts):
        path = tmp_path / f"t{index}.yml"
        path.write_text(text)
        paths.append(path)
    with pytest.raises(ConfigError) as caught:
        load_thresholds(paths)
    return caught.value.problems


def test_the_committed_file_sets_every_threshold_of_every_rule() -> None:
    loaded = load_thresholds([THRESHOLDS])
    assert set(loaded.rules) == set(alert_params())
    degraded = loaded.rules["NetwardenLinkDegraded"]
    assert degraded.params == {"loss_ratio": 0.05, "rtt_p95_seconds": 0.1, "jitter_seconds": 0.03}
    assert (degraded.severity, degraded.for_, degraded.keep_firing_for) == ("warning", "10m", None)
    assert loaded.rules["NetwardenLinkDown"].keep_firing_for == "3m"
    assert loaded.settings["agents_job"] == "netwarden-agents"


def test_the_committed_rule_files_are_the_rendering_of_the_thresholds() -> None:
    stale = check_files(
        [THRESHOLDS], REPO / "prometheus" / "rules", REPO / "prometheus" / "tests" / "rules"
    )
    assert stale == []


def test_a_later_file_overrides_single_values(tmp_path: Path) -> None:
    override = tmp_path / "lab.yml"
    override.write_text(
        "rules:\n  NetwardenLinkDown: {for: 2s}\n  NetwardenAgentDown: {for: 15s}\n"
    )
    loaded = load_thresholds([THRESHOLDS, override])
    assert loaded.rules["NetwardenLinkDown"].for_ == "2s"
    assert loaded.rules["NetwardenLinkDown"].keep_firing_for == "3m"  # untouched
    assert loaded.rules["NetwardenAgentDown"].for_ == "15s"
    written = write_files([THRESHOLDS, override], tmp_path / "rules", tmp_path / "test-rules")
    assert len(written) == 18
    links = (tmp_path / "rules" / "netwarden-links.yml").read_text()
    assert "    for: 2s\n    keep_firing_for: 3m\n" in links
    # The committed files no longer match that rendering: --check says which.
    stale = check_files([THRESHOLDS], tmp_path / "rules", tmp_path / "test-rules")
    assert [line.split(":")[0] for line in stale] == [
        str(tmp_path / "rules" / "netwarden-links.yml"),
        str(tmp_path / "rules" / "netwarden-fleet.yml"),
        str(tmp_path / "test-rules" / "netwarden-links.yml"),
        str(tmp_path / "test-rules" / "netwarden-fleet.yml"),
    ]


CASES = [
    # (replace, with, the problem's path and message, the text whose line it is on)
    ("  NetwardenLinkDegraded:", "  NetwardenLinkDegradd:",
     "rules.NetwardenLinkDegradd: unknown key; did you mean 'NetwardenLinkDegraded'?",
     "  NetwardenLinkDegradd:"),
    ("    loss_ratio: 0.05", "    loss_ratio: 5",
     "rules.NetwardenLinkDegraded.loss_ratio: must be a number from 0 to 1", "    loss_ratio: 5"),
    ("    loss_ratio: 0.05", '    loss_ratio: "0.05"',
     "rules.NetwardenLinkDegraded.loss_ratio: must be a number from 0 to 1", "    loss_ratio:"),
    ("    rtt_p95_seconds: 0.1", "    rtt_p95_secs: 0.1",
     "rules.NetwardenLinkDegraded.rtt_p95_secs: unknown key; did you mean 'rtt_p95_seconds'?",
     "    rtt_p95_secs"),
    ("    severity: critical\n    for: 3m\n    window: 5m",
     "    severity: page\n    for: 3m\n    window: 5m",
     "rules.NetwardenDeviceDown.severity: must be one of critical, warning, info, none",
     "    severity: page"),
    ("    for: 2m\n", "    for: 2 minutes\n",
     "rules.NetwardenCollectorDown.for: must be a duration like 30s, 5m, 2h or 7d",
     "    for: 2 minutes"),
    ("  monitoring_site: dc", "  monitoring_site: trung tâm dữ liệu",
     "settings.monitoring_site: must be a name: letters, digits, '.', '_' or '-'",
     "  monitoring_site:"),
    ("    exclude_roles: camera|ap", '    exclude_roles: camera"|ap',
     "rules.NetwardenDeviceDown.exclude_roles: must be a regular expression (without double "
     "quotes)", "    exclude_roles:"),
    ("    exclude_roles: camera|ap", "    exclude_roles: camera(|ap",
     "rules.NetwardenDeviceDown.exclude_roles: must be a regular expression (without double "
     "quotes)", "    exclude_roles:"),
    ("settings:\n", "setings:\n", "setings: unknown key; did you mean 'settings'?", "setings:"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "message", "where"), CASES)
def test_a_bad_value_is_one_problem_with_file_line_and_path(
    tmp_path: Path, old: str, new: str, message: str, where: str
) -> None:
    assert old in TEXT
    text = TEXT.replace(old, new, 1)
    problems = _problems(tmp_path, text)
    assert problems[0] == f"{tmp_path / 't0.yml'}:{_line_of(text, where)}: {message}"
    if "setings" not in message:
        assert len(problems) == 1, problems


def test_a_missing_value_is_reported_at_its_rule(tmp_path: Path) -> None:
    text = TEXT.replace("    jitter_seconds: 0.03    # jitter above 30 ms\n", "")
    line = _line_of(text, "  NetwardenLinkDegraded:")
    assert _problems(tmp_path, text) == [
        f"{tmp_path / 't0.yml'}:{line}: rules.NetwardenLinkDegraded.jitter_seconds: is required"
    ]


def test_an_override_is_checked_too_and_named_in_the_problem(tmp_path: Path) -> None:
    problems = _problems(tmp_path, TEXT, "rules:\n  NetwardenLinkDown:\n    for: soon\n")
    assert problems == [
        f"{tmp_path / 't1.yml'}:3: rules.NetwardenLinkDown.for: must be a duration like 30s, "
        "5m, 2h or 7d"
    ]


def test_an_agent_down_that_would_page_before_the_line_down_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, TEXT, "rules:\n  NetwardenAgentDown:\n    for: 30s\n")
    assert problems == [
        f"{tmp_path / 't1.yml'}:3: rules.NetwardenAgentDown.for: must be longer than "
        "rules.NetwardenLinkDown.for (1m), or NetwardenAgentDown pages before NetwardenLinkDown "
        "can hold it back"
    ]


def test_a_line_down_held_shorter_than_the_agent_down_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, TEXT, "rules:\n  NetwardenLinkDown: {keep_firing_for: 1m}\n")
    assert problems == [
        f"{tmp_path / 't1.yml'}:2: rules.NetwardenLinkDown.keep_firing_for: must be longer than "
        "rules.NetwardenAgentDown.keep_firing_for (2m), or NetwardenAgentDown pages for a moment "
        "when the line is back"
    ]


def test_files_that_are_not_thresholds(tmp_path: Path) -> None:
    assert _problems(tmp_path, "- a\n- b\n") == [
        f"{tmp_path / 't0.yml'}:1: must be a mapping with settings and rules"
    ]
    assert _problems(tmp_path, "rules: [\n") == [
        f"{tmp_path / 't0.yml'}:1: invalid YAML: expected the node content, but found '<stream "
        "end>' (while parsing a flow node at line 2)"
    ]
    missing = tmp_path / "nope.yml"
    with pytest.raises(ConfigError) as caught:
        load_thresholds([missing])
    assert caught.value.problems == [f"{missing}:1: cannot read: no such file or directory"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("1h30m", 5400), ("7d", 604800), ("500ms", 0.5), ("0s", 0)]
)
def test_durations(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds
