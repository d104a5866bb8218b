"""The PromQL of docs/metrics.md tells device down, auth failure and agent down apart
(``promtool test rules`` on series shaped like the agent's)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

RULES = {
    "AgentDown": 'up{job="netwarden-agents"} == 0',
    "DeviceDown": (
        "netwarden_device_up == 0 and on(device) increase("
        'netwarden_snmp_poll_errors_total{reason=~"timeout|refused|unreachable"}[5m]) > 0'
    ),
    "SnmpAuthFailure": (
        "netwarden_device_up == 0 and on(device) increase("
        'netwarden_snmp_poll_errors_total{reason="auth"}[5m]) > 0'
    ),
}

AGENT_A = 'job="netwarden-agents",instance="agent-a:9430"'
SERIES = [
    # agent A polls sw-gone (no answer) and sw-auth (SNMPv3 refuses us) and sw-ok.
    (f"up{{{AGENT_A}}}", "1x10"),
    ('up{job="netwarden-agents",instance="agent-b:9430"}', "0x10"),
    (f'netwarden_device_up{{{AGENT_A},device="sw-gone",method="snmp"}}', "1 0x9"),
    (f'netwarden_device_up{{{AGENT_A},device="sw-auth",method="snmp"}}', "1 0x9"),
    (f'netwarden_device_up{{{AGENT_A},device="sw-ok",method="snmp"}}', "1x10"),
    (f'netwarden_snmp_poll_errors_total{{{AGENT_A},device="sw-gone",reason="timeout"}}', "0+1x10"),
    (f'netwarden_snmp_poll_errors_total{{{AGENT_A},device="sw-gone",reason="auth"}}', "0x10"),
    (f'netwarden_snmp_poll_errors_total{{{AGENT_A},device="sw-auth",reason="timeout"}}', "0x10"),
    (f'netwarden_snmp_poll_errors_total{{{AGENT_A},device="sw-auth",reason="auth"}}', "0+1x10"),
    (f'netwarden_snmp_poll_errors_total{{{AGENT_A},device="sw-ok",reason="timeout"}}', "0x10"),
]


def _alerts(device: str | None, instance: str) -> list[dict[str, object]]:
    labels = {"job": "netwarden-agents", "instance": instance}
    if device is not None:
        labels |= {"device": device, "method": "snmp"}
    return [{"exp_labels": labels}]


def test_the_documented_promql_tells_the_three_failures_apart(tmp_path: Path) -> None:
    rules = {"groups": [{"name": "netwarden", "rules": [
        {"alert": name, "expr": expr} for name, expr in RULES.items()
    ]}]}  # fmt: skip
    expected = {
        "AgentDown": _alerts(None, "agent-b:9430"),
        "DeviceDown": _alerts("sw-gone", "agent-a:9430"),
        "SnmpAuthFailure": _alerts("sw-auth", "agent-a:9430"),
    }
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": s, "values": v} for s, v in SERIES],
            "alert_rule_test": [
                {"eval_time": "8m", "alertname": name, "exp_alerts": alerts}
                for name, alerts in expected.items()
            ],
        }],
    }  # fmt: skip
    # JSON is YAML: no YAML writer needed.
    (tmp_path / "rules.yml").write_text(json.dumps(rules))
    (tmp_path / "tests.yml").write_text(json.dumps(tests))
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run scripts/setup.sh (Debian package prometheus)"
    done = subprocess.run(
        [promtool, "test", "rules", "tests.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
