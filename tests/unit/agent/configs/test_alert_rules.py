"""prometheus/rules/netwarden-config.yml: promtool accepts it, and on series shaped like the
agent's each alert fires when it should and stays quiet when it should not.

promtool is a test dependency (scripts/setup.sh installs Debian's ``prometheus``): these tests
fail, never skip, without it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

RULES = Path(__file__).parents[4] / "prometheus" / "rules" / "netwarden-config.yml"


def _promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run scripts/setup.sh (Debian package prometheus)"
    return subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


def _series(name: str, device: str, values: str) -> dict[str, str]:
    return {"series": f'{name}{{device="{device}",site="so-tc",role="switch"}}', "values": values}


def _annotations(alert: str, labels: dict[str, str]) -> dict[str, str]:
    """The rule's annotations with ``{{ $labels.X }}`` filled in (what Prometheus sends)."""
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    (rule,) = [r for r in rules if r["alert"] == alert]
    fill = lambda m: labels[m[1]]  # noqa: E731
    return {k: re.sub(r"{{ \$labels\.(\w+) }}", fill, v) for k, v in rule["annotations"].items()}


def _check(name: str, at: str, devices: list[str]) -> dict[str, object]:
    alerts = []
    for device in devices:
        labels = {"device": device, "site": "so-tc", "role": "switch", "severity": "warning"}
        alerts.append({"exp_labels": labels, "exp_annotations": _annotations(name, labels)})
    return {"eval_time": at, "alertname": name, "exp_alerts": alerts}


CHANGED, FAILING = "NetwardenConfigChanged", "NetwardenConfigBackupFailing"
STAMP, SUCCESS = "netwarden_config_last_backup_timestamp_seconds", "netwarden_config_backup_success"

MINUTES = {
    "interval": "1m",
    "input_series": [
        # sw-a: one backup finds a change (minutes 2-3), the next ones nothing new.
        _series("netwarden_config_changed", "sw-a", "0 0 1 1 0 0"),
        _series("netwarden_config_changed", "sw-b", "0x5"),
        # sw-fail: fails from minute 1 on; sw-flap: fails 5 minutes, then succeeds.
        _series(SUCCESS, "sw-fail", "1 0x30"),
        _series(SUCCESS, "sw-flap", "0x5 1x25"),
        # sw-retry: fails at minute 1 and on its retry at 6 (5 min later); the next retry,
        # 15 min after that, works at minute 21.
        _series(SUCCESS, "sw-retry", "1 0x19 1x10"),
        _series(STAMP, "sw-fail", "0+60x30"),
        _series(STAMP, "sw-flap", "0+60x30"),
        _series(STAMP, "sw-retry", "0x20 1260+60x10"),
    ],
    "alert_rule_test": [
        _check(CHANGED, "1m", []),
        _check(CHANGED, "3m", ["sw-a"]),
        _check(CHANGED, "5m", []),
        _check(FAILING, "10m", []),  # pending: not 15 minutes yet
        _check(FAILING, "18m", ["sw-fail", "sw-retry"]),
        _check(FAILING, "22m", ["sw-fail"]),  # cleared once a retry worked
    ],
}

HOURS = {
    # Samples every 2 minutes (within the 5-minute lookback, so `for` sees every evaluation)
    # for 53 hours.
    "interval": "2m",
    "input_series": [
        # Backups succeed, but sw-stale's last one is from the start: no backup for 2 days.
        _series(SUCCESS, "sw-stale", "1x1600"),
        _series(STAMP, "sw-stale", "0x1600"),
        _series(SUCCESS, "sw-fresh", "1x1600"),
        _series(STAMP, "sw-fresh", "0+120x1600"),
        # Failing *and* stale: still one alert.
        _series(SUCCESS, "sw-both", "0x1600"),
        _series(STAMP, "sw-both", "0x1600"),
    ],
    "alert_rule_test": [
        _check(FAILING, "40h", ["sw-both"]),
        _check(FAILING, "50h", ["sw-both", "sw-stale"]),
    ],
}


def test_promtool_checks_the_rules() -> None:
    done = _promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 2 rules found" in done.stdout


def test_alerts_fire_and_stay_quiet_when_they_should(tmp_path: Path) -> None:
    tests = {"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": [MINUTES, HOURS]}
    (tmp_path / "tests.yml").write_text(json.dumps(tests))  # JSON is YAML
    done = _promtool("test", "rules", "tests.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_rule_test_would_catch_a_broken_rule(tmp_path: Path) -> None:
    # The same input against a rule that never fires must fail: the test above is not vacuous.
    broken = tmp_path / "broken.yml"
    broken.write_text(RULES.read_text().replace("netwarden_config_changed == 1",
                                                "netwarden_config_changed == 2"))  # fmt: skip
    tests = {"rule_files": [str(broken)], "evaluation_interval": "1m", "tests": [MINUTES]}
    (tmp_path / "tests.yml").write_text(json.dumps(tests))
    done = _promtool("test", "rules", "tests.yml", cwd=tmp_path)
    assert done.returncode != 0
    assert CHANGED in done.stdout + done.stderr
