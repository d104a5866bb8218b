"""The demo's second half: a dedicated-data-network line is cut and restored, and the response
path is shown — one page, the alerts it hid, the incident, the Mẫu 03 draft, the resolution,
the day's availability. Each step checks its outcome."""

from __future__ import annotations

import time
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from netwarden.lab.demo.context import CUT_AGENT, CUT_LINK, CUT_SITE, Demo
from netwarden.lab.demo.runner import StepFailed
from netwarden.lab.demo.shell import wait_for

VIETNAM = timedelta(hours=7)
INHIBITED = ("NetwardenAgentDown", "NetwardenAgentScrapeFailed")
LINK_STATE = (
    'min(ifOperStatus{device="core-rtr"} * on(device, ifName) group_left(link)'
    f' netwarden_link_info{{link="{CUT_LINK}"}})'
)


def cut(d: Demo) -> None:
    """``lab fault LINK down``; the core router's end goes down in Prometheus."""
    d.shell.netwarden("lab", "fault", CUT_LINK, "down")
    d.cut_at = time.time()
    wait_for(f"{CUT_LINK} down at the core router in Prometheus", lambda: _link_is(d, 2), 60)
    d.shell.say(f"  ifOperStatus of core-rtr's end of {CUT_LINK}: down (2), seen by Prometheus")


def page(d: Demo) -> None:
    """People get one notification: the line down, for the link's incident."""
    found = wait_for("the people's notification of the line down", lambda: _pages(d, "firing"), 60)
    note = found[0]
    d.shell.say(
        f"  notification {time.time() - d.cut_at:.1f} s after the cut"
        f" (arrived {note['at'] - d.cut_at:.1f} s after it):"
    )
    _show_notification(d, note["body"])


def inhibited(d: Demo) -> None:
    """The agency's agent down and failed scrapes fire, and Alertmanager hides them behind the
    line down: still one notification for people, nothing about the agency on its own."""
    hidden = wait_for(
        "the agency's agent alerts inhibited by the line down", lambda: _inhibited(d), 90
    )
    for alert in hidden:
        labels = alert["labels"]
        d.shell.say(
            f"  inhibited: {labels['alertname']:<28} agent={labels.get('agent', '-'):<16}"
            f" site={labels.get('site', '-')}"
        )
    pages = [n for n in d.notifications("/people") if n["at"] >= d.cut_at and _about_cut(n)]
    if len(pages) != 1:
        groups = [n["body"].get("groupLabels") for n in pages]
        raise StepFailed(f"people got {len(pages)} notifications since the cut, not 1: {groups}")
    d.shell.say(f"  people: still exactly 1 notification about {CUT_LINK} or {CUT_SITE}")


def incident(d: Demo) -> None:
    """The collector opened one incident for the link, with its affected sites and levels."""
    key = f"link/{CUT_LINK}"
    found = wait_for(
        f"the incident {key} in the collector",
        lambda: _incident(d, key, ("open", "acknowledged")),
        30,
    )
    d.incident = str(found["id"])
    d.shell.netwarden("incident", "list", "--status", "active", env=d.collector_env("viewer"))
    shown = d.collector_get(f"incidents/{d.incident}")
    levels = {s["id"]: s.get("security_level") for s in shown["affected"]["sites"]}
    if CUT_SITE not in levels:
        raise StepFailed(f"{d.incident} affects {sorted(levels)}, not {CUT_SITE}")
    if levels[CUT_SITE] is None:
        raise StepFailed(f"{d.incident}: {CUT_SITE} is affected without its security level")
    d.shell.netwarden("incident", "show", d.incident, env=d.collector_env("viewer"))


def report(d: Demo) -> None:
    """Mẫu 03 (initial report) drafted from the record: Markdown here, .docx and PDF on disk."""
    env = d.collector_env("responder")
    folder = d.folder / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    what = f"Mất kết nối tuyến truyền số liệu chuyên dùng {CUT_LINK}"
    d.shell.netwarden("incident", "set", d.incident, "--description", what, env=env)
    markdown = d.shell.netwarden("incident", "report", d.incident, "--form", "initial", env=env)
    if unicodedata.normalize("NFC", "BÁO CÁO BAN ĐẦU") not in unicodedata.normalize(
        "NFC", markdown
    ):
        raise StepFailed("the Markdown draft has no Mẫu 03 title")
    for fmt, magic in (("docx", b"PK"), ("pdf", b"%PDF")):
        path = folder / f"{d.incident}-initial.{fmt}"
        d.shell.netwarden(
            "incident",
            "report",
            d.incident,
            "--form",
            "initial",
            "--format",
            fmt,
            "--output",
            str(path),
            env=env,
            timeout=180,
        )
        if not path.is_file() or not path.read_bytes().startswith(magic):
            raise StepFailed(f"{path} is not a {fmt} file")
        d.shell.say(f"  written: {path} ({path.stat().st_size} bytes)")


def restore(d: Demo) -> None:
    """``lab fault LINK up``; the core router's end is up again in Prometheus."""
    d.shell.netwarden("lab", "fault", CUT_LINK, "up")
    d.restored_at = time.time()
    wait_for(f"{CUT_LINK} up at the core router in Prometheus", lambda: _link_is(d, 1), 60)
    d.shell.say(f"  ifOperStatus of core-rtr's end of {CUT_LINK}: up (1)")


def resolved(d: Demo) -> None:
    """The line down resolves (people get the resolved notification) and so does the incident,
    by itself, with its timeline: only once the link-down playbook's run has ended."""
    note = wait_for("the people's resolved notification", lambda: _pages(d, "resolved"), 90)[0]
    d.shell.say(f"  resolved notification {note['at'] - d.restored_at:.1f} s after the repair")
    shown = wait_for(f"{d.incident} resolved", lambda: _resolved(d), 60)
    if shown.get("resolved_by") != "collector":
        raise StepFailed(f"{d.incident} was resolved by {shown.get('resolved_by')}, not by itself")
    # resolved_at is when the last alert resolved (the fault's end, for the reports); the
    # status changed when the timeline says so, which must not be before the run's last step.
    changed = [
        datetime.fromisoformat(t["at"]).timestamp()
        for t in shown["timeline"]
        if t["kind"] == "status-changed" and str(t["text"]).startswith("resolved")
    ]
    if not changed:
        raise StepFailed(f"{d.incident} is resolved without a line saying so in its timeline")
    if changed[-1] + 0.001 < d.agency_step_ended:  # the timeline keeps milliseconds
        raise StepFailed(f"{d.incident} resolved before the playbook's agency-side step ended")
    d.shell.netwarden("incident", "show", d.incident, env=d.collector_env("viewer"))
    d.shell.say(
        f"  resolved {changed[-1] - d.restored_at:.1f} s after the repair,"
        f" {changed[-1] - d.agency_step_ended:.1f} s after the agency-side playbook step ended"
    )
    about = [n for n in d.notifications("/people") if n["at"] >= d.cut_at and _about_cut(n)]
    if len(about) != 2:
        raise StepFailed(f"people got {len(about)} notifications about the cut, not 2")
    d.shell.say("  people got 2 notifications about the cut in all: the page and its resolution")


def availability(d: Demo) -> None:
    """The day's availability report (Vietnam time, from 00:00 to now) from Prometheus, the
    collector's maintenance windows left out; the cut shows as an outage of the link."""
    now = datetime.utcnow() + VIETNAM
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    args = [
        "report",
        "availability",
        "--from",
        start.strftime("%Y-%m-%dT%H:%M"),
        "--to",
        now.strftime("%Y-%m-%dT%H:%M:%S"),
        "--step",
        "5s",
        "--prometheus",
        d.endpoints.prometheus,
        "-i",
        str(d.inventory),
        "--collector",
        d.endpoints.collector,
    ]
    env = d.collector_env("viewer")
    data = d.cli_json(*args, role="viewer")
    link = _row(data, CUT_LINK)
    if not link or not _outages(link):
        raise StepFailed(f"the availability report shows no outage of {CUT_LINK}: {link}")
    d.shell.netwarden(*args, env=env, timeout=180)


def _link_is(d: Demo, state: int) -> bool:
    result = d.prometheus_query(LINK_STATE)
    return bool(result) and float(result[0]["value"][1]) == state


def _pages(d: Demo, status: str) -> list[dict[str, Any]]:
    return [
        n
        for n in d.notifications("/people")
        if n["at"] >= d.cut_at
        and n["body"].get("status") == status
        and n["body"].get("groupLabels", {}).get("incident") == f"link/{CUT_LINK}"
    ]


def _about_cut(note: dict[str, Any]) -> bool:
    """A notification about the cut line, its agency or the agency's agent."""
    group = note["body"].get("groupLabels", {})
    about = {f"link/{CUT_LINK}", f"agent/{CUT_AGENT}"}
    return group.get("site") == CUT_SITE or group.get("incident") in about


def _show_notification(d: Demo, body: dict[str, Any]) -> None:
    d.shell.say(f"    group {body.get('groupLabels')} status {body.get('status')}")
    for alert in body.get("alerts", []):
        labels, notes = alert["labels"], alert.get("annotations", {})
        d.shell.say(
            f"    {labels['alertname']} severity={labels.get('severity')}"
            f" link={labels.get('link', '-')}"
        )
        for key in ("summary_vi", "summary", "runbook_url"):
            if key in notes:
                d.shell.say(f"      {key}: {notes[key]}")


def _inhibited(d: Demo) -> list[dict[str, Any]]:
    hidden = [
        a
        for a in d.alertmanager_alerts()
        if a["status"].get("inhibitedBy")
        and a["labels"].get("alertname") in INHIBITED
        and (a["labels"].get("agent") == CUT_AGENT or a["labels"].get("site") == CUT_SITE)
    ]
    names = {a["labels"]["alertname"] for a in hidden}
    return hidden if names >= set(INHIBITED) else []


def _incident(d: Demo, key: str, statuses: tuple[str, ...]) -> dict[str, Any] | None:
    for row in d.collector_get("incidents?status=all")["incidents"]:
        if row["key"] == key and row["status"] in statuses:
            return dict(row)
    return None


def _resolved(d: Demo) -> dict[str, Any] | None:
    shown: dict[str, Any] = d.collector_get(f"incidents/{d.incident}")
    return shown if shown["status"] == "resolved" else None


def _row(data: dict[str, Any], link: str) -> dict[str, Any] | None:
    for row in data.get("links", []):
        if row.get("link") == link or row.get("id") == link:
            return dict(row)
    return None


def _outages(row: dict[str, Any]) -> int:
    outages = row.get("outages", 0)
    if isinstance(outages, dict):
        return int(outages.get("count", 0))
    return len(outages) if isinstance(outages, list) else int(outages)
