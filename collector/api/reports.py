"""Report routes: national incident report drafts (Thông tư 20/2017) made by the collector,
the fields only a person knows, the six-monthly summary, and the evidence bundle.

Roles: a responder makes drafts, sets the fields and exports; a viewer lists the drafts made.
Making a draft writes a ``report-made`` timeline line with the file's SHA-256 (and stops the
deadline metric of that form); every change is audited. Rendering (a PDF takes about a second)
runs in the thread pool.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import actor, user_caller
from netwarden.collector.api.body import read_model
from netwarden.collector.api.errors import ApiError
from netwarden.collector.api.incident_routes import incident_id, services
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.api.report_models import FieldsIn, ReportIn
from netwarden.collector.api.state import app_state
from netwarden.collector.incidents.times import VIETNAM
from netwarden.inventory.model import Inventory
from netwarden.reports.national.drafts import incident_draft, summary_draft
from netwarden.reports.national.errors import ReportError
from netwarden.reports.national.export import BundleFile, write_bundle
from netwarden.reports.national.fill import Period
from netwarden.reports.national.render import FORMATS, Rendered
from netwarden.reports.national.templates import template

MAX_PERIOD_DAYS = 366
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _file_answer(rendered: Rendered, name: str, extra: dict[str, str]) -> Response:
    digest = hashlib.sha256(rendered.data).hexdigest()
    headers = {
        "X-Netwarden-SHA256": digest,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        **extra,
    }
    return Response(rendered.data, media_type=rendered.media_type, headers=headers)


async def make_report(request: Request) -> Response:
    """``{"form", "format"}``: the draft's bytes; its SHA-256 in ``X-Netwarden-SHA256``."""
    record = services(request)
    user = await user_caller(request, "responder")
    which = incident_id(request)
    body = await read_model(request, ReportIn)
    state = app_state(request)
    given = await state.call(record.reports.report_input, which)
    now = state.clock()
    inventory = state.inventory.inventory
    try:
        rendered = await state.call(
            lambda: incident_draft(
                body.form, body.format, given, inventory=inventory, config=record.reporting, now=now
            )
        )
    except ReportError as exc:
        raise ApiError(400, str(exc)) from None
    made = await state.call(
        lambda: record.reports.record_made(
            which,
            form=body.form,
            fmt=body.format,
            template=record.reporting.template,
            sha256=hashlib.sha256(rendered.data).hexdigest(),
            size=len(rendered.data),
            actor=actor(user),
            now=now,
        )
    )
    name = f"{which}-{body.form}.{body.format}"
    return _file_answer(rendered, name, {"X-Netwarden-Report": str(made.seq)})


async def list_reports(request: Request) -> Response:
    """``{"reports": [...]}``: the drafts made for the incident (viewer)."""
    record = services(request)
    await user_caller(request, "viewer")
    given = await app_state(request).call(record.reports.report_input, incident_id(request))
    return JSONResponse({"reports": [m.as_json() for m in given.made]})


async def set_fields(request: Request) -> Response:
    """``PATCH {"type"?, "description"?, "handled_with"?, "confidential"?,
    "support_requested"?}`` (responder): each change a timeline line and an audit entry."""
    record = services(request)
    user = await user_caller(request, "responder")
    which = incident_id(request)
    body = await read_model(request, FieldsIn)
    try:
        changes = body.changes()
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    kind = changes.get("incident_type")
    types = template(record.reporting.template).data.incident_types
    if kind is not None and kind not in types:
        raise ApiError(400, f"type must be one of {', '.join(types)}, not {str(kind)[:40]!r}")
    state = app_state(request)
    lines = await state.call(record.reports.set_fields, which, changes, actor(user), state.clock())
    given = await state.call(record.reports.report_input, which)
    person = given.person
    return JSONResponse(
        {
            "incident": which,
            "changed": lines,
            "report_fields": {
                "type": person.incident_type,
                "description": person.description,
                "handled_with": person.handled_with,
                "confidential": given.detail.incident.confidential,
                "support_requested": given.detail.incident.support_requested,
            },
        }
    )


def _day(request: Request, name: str) -> datetime:
    text = request.query_params.get(name)
    m = _DATE.match(text or "")
    if m is None:
        raise ApiError(400, f"query parameter {name} must be a date like 2026-07-01")
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=VIETNAM)
    except ValueError:
        raise ApiError(400, f"query parameter {name}: {text} is not a calendar date") from None


def _period(request: Request) -> Period:
    start, last = _day(request, "from"), _day(request, "to")
    if last < start:
        raise ApiError(400, "the period ends before it starts (to < from)")
    if (last - start).days >= MAX_PERIOD_DAYS:
        raise ApiError(400, f"the period is longer than {MAX_PERIOD_DAYS} days")
    return Period(start.timestamp(), (last + timedelta(days=1)).timestamp())


async def summary(request: Request) -> Response:
    """``GET ?from=YYYY-MM-DD&to=YYYY-MM-DD&format=md|docx|pdf``: Mẫu 05 (responder)."""
    record = services(request)
    user = await user_caller(request, "responder")
    period = _period(request)
    fmt = request.query_params.get("format", "md")
    if fmt not in FORMATS:
        raise ApiError(400, f"query parameter format must be one of {', '.join(FORMATS)}")
    state = app_state(request)
    entries = await state.call(record.reports.summary_entries, period.start, period.end)
    now = state.clock()
    rendered = await state.call(summary_draft, fmt, entries, period, record.reporting, now)
    sha256 = hashlib.sha256(rendered.data).hexdigest()
    detail = f"summary {request.query_params['from']}..{request.query_params['to']} {fmt}: "
    detail += f"{len(entries)} incidents, sha256 {sha256}"
    await state.call(record.reports.audit, actor(user), "report.summary", detail, now)
    name = f"mau-05-{request.query_params['from']}-{request.query_params['to']}.{fmt}"
    return _file_answer(rendered, name, {})


def _bundle(
    record: IncidentServices, which: str, inventory: Inventory, *, now: float, by: str, target: Path
) -> tuple[str, int]:
    """Render the drafts and write the zip (blocking: runs in the thread pool)."""
    given = record.reports.report_input(which)
    config = record.reporting
    files = []
    for form in ("notice", "initial", "final"):
        for fmt in FORMATS:
            rendered = incident_draft(form, fmt, given, inventory=inventory, config=config, now=now)
            files.append(
                BundleFile(
                    f"drafts/{which}-{form}.{fmt}",
                    now,
                    f"collector: draft {form}",
                    data=rendered.data,
                )
            )
    record_json = json.dumps(given.detail.as_json(), ensure_ascii=False, indent=2).encode()
    files.append(
        BundleFile("incident.json", now, "collector: the incident record", data=record_json)
    )
    for e in given.detail.evidence:
        path = record.evidence.verified(e.sha256, e.size)
        origin = e.source + (f" step {e.step}" if e.step else "")
        files.append(BundleFile(f"evidence/{e.id:03d}-{e.name}", e.at, origin, disk=path))
    header = {"incident": which, "made_by": by, "template": config.template}
    bundle = write_bundle(target, which, files, header, now)
    return bundle.manifest_sha256, bundle.files


async def export(request: Request) -> Response:
    """``POST``: the zip (responder); ``X-Netwarden-Manifest-SHA256`` is the manifest's hash."""
    record = services(request)
    user = await user_caller(request, "responder")
    which = incident_id(request)
    state = app_state(request)
    target = await state.call(_temporary, record.evidence.root / "tmp")
    inventory, now, by = state.inventory.inventory, state.clock(), actor(user)
    try:
        digest, count = await state.call(
            lambda: _bundle(record, which, inventory, now=now, by=by, target=target)
        )
        await state.call(record.reports.exported, which, digest, count, by, now)
    except BaseException:
        await state.call(_remove, target)
        raise
    headers = {
        "X-Netwarden-Manifest-SHA256": digest,
        "Content-Disposition": f"attachment; filename={which}.zip",
    }
    return FileResponse(
        target,
        media_type="application/zip",
        headers=headers,
        background=BackgroundTask(_remove, target),
    )


def _temporary(tmp: Path) -> Path:
    """A new file for the zip beside the evidence uploads (same disk, same cleanup)."""
    tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, name = tempfile.mkstemp(dir=tmp, prefix="export-", suffix=".zip")
    os.close(fd)
    return Path(name)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


_ONE = "/api/v1/incidents/{incident_id}"
ROUTES = [
    Route(_ONE, set_fields, methods=["PATCH"]),
    Route(f"{_ONE}/reports", make_report, methods=["POST"]),
    Route(f"{_ONE}/reports", list_reports, methods=["GET"]),
    Route(f"{_ONE}/export", export, methods=["POST"]),
    Route("/api/v1/reports/summary", summary, methods=["GET"]),
]
