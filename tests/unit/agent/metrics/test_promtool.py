"""``promtool check metrics`` (Prometheus' own parser and linter) on a full exposition.

promtool is a test dependency (scripts/setup.sh installs Debian's ``prometheus``): this test
fails, never skips, without it.
"""

from __future__ import annotations

import shutil
import subprocess

from netwarden.agent.metrics import METRICS, render

from .synthetic import full_registry

# What promtool says about snmp_exporter's own output; kept on purpose (see docs/metrics.md).
MIB_FINDINGS = {
    'counter metrics should have "_total" suffix',
    "metric names should be written in 'snake_case' not 'camelCase'",
    "label names should be written in 'snake_case' not 'camelCase'",
}
# The agent's metrics whose contract names carry IF-MIB labels (ifIndex, ifName) so they join
# with the interface series (the issue names ifName as the join key).
AGENT_FINDINGS = {
    "netwarden_if_high_capacity": {
        "label names should be written in 'snake_case' not 'camelCase'",
    },
    "netwarden_link_info": {"label names should be written in 'snake_case' not 'camelCase'"},
}


def _promtool(text: bytes) -> tuple[int, dict[str, set[str]]]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run scripts/setup.sh (Debian package prometheus)"
    done = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=60, check=False
    )
    findings: dict[str, set[str]] = {}
    for line in (done.stdout + done.stderr).decode().splitlines():
        name, _, message = line.partition(" ")
        findings.setdefault(name, set()).add(message)
    return done.returncode, findings


def test_promtool_parses_everything_and_flags_only_the_deliberate_names() -> None:
    code, findings = _promtool(render(full_registry()))
    assert code in (0, 3), findings  # 3: lint findings; 1 would be a parse error
    for spec in METRICS:
        found = findings.pop(spec.name, set())
        if spec.is_mib:
            assert found <= MIB_FINDINGS, (spec.name, found)
        else:
            assert found == AGENT_FINDINGS.get(spec.name, set()), (spec.name, found)
    assert findings == {}, "findings about nothing in the table"


def test_promtool_reads_what_the_agent_writes_without_any_finding() -> None:
    text = render(full_registry()).decode()
    # Only the agent's own families, minus the two with IF-MIB join labels: all clean.
    kept = [
        block
        for block in text.split("# HELP ")[1:]
        if block.startswith("netwarden_") and block.split(" ")[0] not in AGENT_FINDINGS
    ]
    assert len(kept) == sum(not s.is_mib for s in METRICS) - len(AGENT_FINDINGS)
    code, findings = _promtool("".join("# HELP " + block for block in kept).encode())
    assert (code, findings) == (0, {})
