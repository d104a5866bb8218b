"""Incidents and maintenance windows for people at a terminal (times in Vietnam time)."""

from __future__ import annotations

from typing import Any

from netwarden.collector.incidents.times import TimeFormatError, local_text, parse_s
from netwarden.output import render_table


def _local(text: str | None) -> str:
    if not text:
        return "-"
    try:
        return local_text(parse_s(text))
    except TimeFormatError:
        return text


def _flags(inc: dict[str, Any]) -> str:
    words = []
    if inc.get("serious"):
        words.append("SERIOUS" if inc.get("serious_confirmed") else "serious?")
    for key, word in (
        ("in_maintenance", "maintenance"),
        ("confidential", "confidential"),
        ("support_requested", "support"),
    ):
        if inc.get(key):
            words.append(word)
    return ",".join(words) or "-"


def incident_table(incidents: list[dict[str, Any]]) -> str:
    """``incident list`` as a table."""
    headers = ["ID", "STATUS", "SEVERITY", "DISCOVERED (+07)", "SITES", "ALERTS", "FLAGS", "TITLE"]
    rows = [
        [
            i["id"],
            i["status"],
            i["severity"],
            _local(i["opened_at"])[:19],
            ",".join(i["sites"][:3]) + ("..." if len(i["sites"]) > 3 else "") or "-",
            i["alerts"],
            _flags(i),
            i["title"][:60],
        ]
        for i in incidents
    ]
    return render_table(headers, rows)


def _level(entry: dict[str, Any]) -> str:
    level = entry.get("security_level")
    return f"level {level}" if level is not None else "no level set"


def _affected(affected: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = []
    for what in ("sites", "devices", "links", "services"):
        items = affected.get(what, [])
        if not items:
            continue
        shown = []
        for t in items:
            name = f" {t['name']}" if t.get("name") else ""
            kind = t.get("kind") or t.get("role")
            detail = f"{kind}, {_level(t)}" if kind else _level(t)
            shown.append(f"{t['id']}{name} ({detail})")
        lines.append(f"  {what:<9} " + "; ".join(shown))
    return lines or ["  nothing the inventory knows"]


def _alert_line(a: dict[str, Any]) -> str:
    labels = {k: v for k, v in a["labels"].items() if k not in ("alertname", "severity")}
    shown = " ".join(f"{k}={v}" for k, v in sorted(labels.items()))
    until = _local(a["ends_at"]) if a["ends_at"] else "now"
    return f"  {a['status']:<9} {a['alertname']}  {_local(a['starts_at'])} -> {until}  {shown}"


def _serious(inc: dict[str, Any]) -> str:
    if inc["serious_confirmed"] is not None:
        said = "confirmed" if inc["serious_confirmed"] else "not confirmed"
        return f"{said} by {inc['serious_confirmed_by']} (computed: {_yn(inc['serious'])})"
    return f"{_yn(inc['serious'])} (computed; not yet confirmed by a person)"


def _yn(value: Any) -> str:
    return "yes" if value else "no"


def _who(at: str | None, by: str | None) -> str:
    return f"{_local(at)} by {by}" if at else "-"


def incident_text(inc: dict[str, Any]) -> str:
    """``incident show`` for people."""
    lines = [
        f"{inc['id']}  [{inc['status']}]  severity {inc['severity']}",
        f"Title:          {inc['title']}",
        f"Key:            {inc['key']}",
        f"Discovered:     {_local(inc['opened_at'])}",
        f"Acknowledged:   {_who(inc['acknowledged_at'], inc['acknowledged_by'])}",
        f"Resolved:       {_who(inc['resolved_at'], inc['resolved_by'])}",
        f"Closed:         {_who(inc['closed_at'], inc['closed_by'])}",
        f"Serious (QĐ 05/2017/QĐ-TTg): {_serious(inc)}",
        f"In maintenance: {_yn(inc['in_maintenance'])}   confidential: "
        f"{_yn(inc['confidential'])}   support requested: {_yn(inc['support_requested'])}",
        "Affected (from the topology):",
        *_affected(inc["affected"]),
        f"Alerts ({len(inc['alerts'])}):",
        *(_alert_line(a) for a in inc["alerts"]),
        "Timeline:",
        *(
            f"  {_local(t['at'])}  {t['kind']:<15} {t['actor']:<20} {t['text']}"
            for t in inc["timeline"]
        ),
    ]
    if inc["evidence"]:
        lines.append("Evidence:")
        for e in inc["evidence"]:
            step = f" step {e['step']}" if e.get("step") else ""
            lines.append(
                f"  {e['id']:>3}  {e['name']}  {e['size']} bytes  sha256 {e['sha256']}  "
                f"{_local(e['at'])}  {e['source']}{step}"
            )
    if inc.get("truncated_alerts"):
        lines.append(f"Alertmanager left {inc['truncated_alerts']} alerts out of a notification")
    if inc.get("resolution"):
        lines.append(f"Resolution:     {inc['resolution']}")
    if inc.get("closing_summary"):
        lines.append(f"Closing summary: {inc['closing_summary']}")
    return "\n".join(lines)


def window_table(windows: list[dict[str, Any]]) -> str:
    """``incident maintenance list`` as a table."""
    headers = ["ID", "TARGET", "FROM (+07)", "TO (+07)", "BY", "REASON"]
    rows = []
    for w in windows:
        kind = next(k for k in ("site", "link", "device") if w[k] is not None)
        target = f"{kind} {w[kind]}"
        when = [_local(w["from"])[:19], _local(w["to"])[:19]]
        rows.append([w["id"], target, *when, w["created_by"], w["reason"][:60]])
    return render_table(headers, rows)
