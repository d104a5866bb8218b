"""Runs for people: the ``playbook runs`` table and the ``playbook show`` text."""

from __future__ import annotations

import json
from typing import Any

from netwarden.collector.incidents.times import local_text

MAX_OUTPUT_LINES = 12  # of a step's text in ``show``; ``--output json`` has it all


def runs_table(runs: list[dict[str, Any]]) -> str:
    """One line per run: id, status, playbook, incident, started, ended."""
    header = ("RUN", "STATUS", "PLAYBOOK", "INCIDENT", "STARTED", "ENDED")
    rows = [
        (
            r["id"],
            r["status"],
            r["playbook"],
            r["incident"] or "-",
            local_text(r["created_at"]),
            local_text(r["ended_at"]),
        )
        for r in runs
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def _duration(step: dict[str, Any]) -> str:
    if step["started_at"] is None or step["ended_at"] is None:
        return ""
    return f" in {step['ended_at'] - step['started_at']:.1f} s"


def _step_lines(step: dict[str, Any]) -> list[str]:
    where = f" on {step['agent']}" if step["agent"] else ""
    attempt = f" (attempt {step['attempt']})" if step["attempt"] > 1 else ""
    late = ", then a late result (kept)" if step.get("late") else ""
    head = f"  {step['step']}{attempt}: {step['action']}{where} {step['status']}{_duration(step)}"
    head += late
    lines = [head]
    if step["args"]:
        lines.append(f"    args: {json.dumps(step['args'], ensure_ascii=False)}")
    if step["error"]:
        lines.append(f"    error: {step['error']}")
    if step["evidence"] is not None:
        lines.append(f"    evidence: {step['evidence']}")
    text = (step["text"] or "").strip().splitlines()
    for line in text[:MAX_OUTPUT_LINES]:
        lines.append(f"    | {line}")
    if len(text) > MAX_OUTPUT_LINES:
        lines.append(f"    | ... {len(text) - MAX_OUTPUT_LINES} more lines (--output json)")
    return lines


def run_text(run: dict[str, Any]) -> str:
    """A run with every step attempt."""
    lines = [
        f"{run['id']}  {run['playbook']}: {run['title']}",
        f"status:     {run['status']}" + (f" ({run['reason']})" if run["reason"] else ""),
        f"incident:   {run['incident'] or '-'}",
        f"started:    {local_text(run['created_at'])} by {run['started_by']}",
        f"ended:      {local_text(run['ended_at'])}",
        f"definition: sha256 {run['sha256']}",
        "steps:",
    ]
    for step in run["steps"]:
        lines += _step_lines(step)
    if not run["steps"]:
        lines.append("  (none yet)")
    if run["conclusions"]:
        lines.append("conclusions:")
        lines += [f"  - {line}" for line in run["conclusions"]]
    return "\n".join(lines)
