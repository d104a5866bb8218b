"""The availability report as a table for people, JSON for scripts, CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from typing import Any

from netwarden.output import render_table
from netwarden.reports.availability import Availability, Report
from netwarden.reports.exclusions import Exclusion
from netwarden.reports.window import rfc3339

CSV_COLUMNS = (
    "kind",
    "id",
    "name",
    "links",
    "availability_percent",
    "up_minutes",
    "down_minutes",
    "no_data_minutes",
    "excluded_minutes",
    "outages",
    "longest_outage_minutes",
    "from",
    "to",
)


def minutes(steps_or_seconds: int, step: int = 1) -> int | float:
    """Seconds (or steps of ``step`` seconds) as minutes: whole when they are whole."""
    value = round(steps_or_seconds * step / 60, 6)
    return int(value) if value == int(value) else value


def _percent(row: Availability) -> float | None:
    ratio = row.ratio
    return None if ratio is None else round(100 * ratio, 4)


def row_json(row: Availability) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "links": list(row.links),
        "availability_percent": _percent(row),
        "up_minutes": minutes(row.up_steps, row.step),
        "down_minutes": minutes(row.down_steps, row.step),
        "no_data_minutes": minutes(row.no_data_steps, row.step),
        "excluded_minutes": minutes(row.excluded_steps, row.step),
        "outages": {
            "count": len(row.outages),
            "longest_minutes": minutes(row.longest),
            "total_minutes": minutes(row.down_steps, row.step),
            "list": [
                {"from": rfc3339(o.start), "to": rfc3339(o.end), "minutes": minutes(o.seconds)}
                for o in row.outages
            ],
        },
    }


def report_json(report: Report) -> dict[str, Any]:
    w = report.window
    return {
        "period": w.label,
        "from": rfc3339(w.start),
        "to": rfc3339(w.end),
        "timezone": "+07:00",
        "step_seconds": w.step,
        "partial": w.partial,
        "exclusions": [e.to_json() for e in report.exclusions],
        "links": [row_json(r) for r in report.links],
        "agencies": [row_json(r) for r in report.agencies],
        "notes": list(report.notes),
    }


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def _cells(row: Availability) -> list[str]:
    percent = _percent(row)
    return [
        "-" if percent is None else f"{percent:.3f} %",
        _number(minutes(row.up_steps, row.step)),
        _number(minutes(row.down_steps, row.step)),
        _number(minutes(row.no_data_steps, row.step)),
        _number(minutes(row.excluded_steps, row.step)),
        str(len(row.outages)),
        _number(minutes(row.longest)),
    ]


_MEASURES = [
    "AVAILABILITY",
    "UP MIN",
    "DOWN MIN",
    "NO DATA MIN",
    "EXCLUDED MIN",
    "OUTAGES",
    "LONGEST MIN",
]


def report_table(report: Report) -> str:
    w = report.window
    lines = [
        f"Availability {w.label}: {_local(w.start)} to {_local(w.end)} (Vietnam time, UTC+07:00),"
        f" step {w.step}s{' — partial' if w.partial else ''}"
    ]
    lines += [_exclusion_line(e) for e in report.exclusions]
    links = [[r.id, r.name or "-", *_cells(r)] for r in report.links]
    lines += ["", render_table(["LINK", "AGENCY", *_MEASURES], links)]
    if report.agencies:
        agencies = [[r.id, r.name, ",".join(r.links), *_cells(r)] for r in report.agencies]
        lines += ["", render_table(["AGENCY", "NAME", "LINKS", *_MEASURES], agencies)]
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)


def _exclusion_line(e: Exclusion) -> str:
    what = f"{e.scope} {e.target}" if e.target else e.scope
    why = f": {e.reason}" if e.reason else ""
    return f"excluded: {_local(e.start)} to {_local(e.end)} {what} ({e.source}){why}"


def _local(at: int) -> str:
    """Vietnam time, to the minute unless the instant is not a whole minute."""
    return rfc3339(at)[: 16 if at % 60 == 0 else 19].replace("T", " ")


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    start, end = rfc3339(report.window.start), rfc3339(report.window.end)
    for row in (*report.links, *report.agencies):
        data = row_json(row)
        percent = data["availability_percent"]
        writer.writerow(
            [
                row.kind,
                row.id,
                row.name,
                " ".join(row.links),
                "" if percent is None else percent,
                data["up_minutes"],
                data["down_minutes"],
                data["no_data_minutes"],
                data["excluded_minutes"],
                len(row.outages),
                data["outages"]["longest_minutes"],
                start,
                end,
            ]
        )
    return out.getvalue()
