"""``netwarden incident report|summary|export|set``: the national incident report drafts
(Thông tư 20/2017), made by the collector from its record, written here to a file.

A draft's SHA-256 comes in ``X-Netwarden-SHA256`` and is checked before the file is put in
place; nothing half-written is left under the asked-for name.
"""

from __future__ import annotations

import enum
import hashlib
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, BinaryIO
from urllib.parse import quote

import typer

from netwarden.errors import NetwardenError, UsageError
from netwarden.output import emit_json
from netwarden.user_api import CollectorClient
from netwarden.user_api_options import CaFile, Collector, Insecure

# A PDF of an incident with a long timeline takes the collector seconds to lay out (about 6 s
# for 300 timeline lines on a loaded 2-core machine), an export three of them.
RENDER_TIMEOUT = 300.0


class Form(enum.StrEnum):
    notice = "notice"
    initial = "initial"
    final = "final"


class Format(enum.StrEnum):
    md = "md"
    docx = "docx"
    pdf = "pdf"


class YesNo(enum.StrEnum):
    yes = "yes"
    no = "no"


class HandledWith(enum.StrEnum):
    alone = "alone"
    domestic = "domestic"
    foreign = "foreign"
    national = "national"


IncidentId = Annotated[str, typer.Argument(help="Incident id, e.g. INC-20261123-001.")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="md, docx or pdf.")]
OutFile = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write here (default: md to stdout, else ID-FORM.EXT)."),
]


def _path(incident: str, tail: str = "") -> str:
    return f"/api/v1/incidents/{quote(incident, safe='')}{tail}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _save(
    api: CollectorClient, out: Path, header: str, **request: Any
) -> tuple[str, dict[str, str]]:
    """Fetch into ``out.partial``, check the hash the collector sent, then rename."""
    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("wb") as sink:
            headers = api.download(out=sink, **request)
        expected = headers.get(header, "")
        got = _sha256(partial) if header == "x-netwarden-sha256" else expected
        if got != expected or not expected:
            raise NetwardenError(f"the file arrived damaged: sha256 {got}, expected {expected}")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return expected, headers


def _to_stdout(api: CollectorClient, **request: Any) -> None:
    with tempfile.TemporaryFile() as spool:
        headers = api.download(out=spool, **request)
        spool.seek(0)
        data = spool.read()
    if hashlib.sha256(data).hexdigest() != headers.get("x-netwarden-sha256"):
        raise NetwardenError("the draft arrived damaged (its sha256 does not match)")
    out: BinaryIO = sys.stdout.buffer
    out.write(data)
    out.flush()


def register(app: typer.Typer) -> None:
    """Add the report commands to the ``incident`` group."""
    app.command("report")(report)
    app.command("summary")(summary)
    app.command("export")(export)
    app.command("set")(set_fields)


def report(
    incident: IncidentId,
    *,
    form: Annotated[Form, typer.Option("--form", help="notice, initial (Mẫu 03), final (Mẫu 04).")],
    fmt: FormatOption = Format.md,
    out: OutFile = None,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Make a national report draft of an incident (responder); the timeline records its hash."""
    request = {
        "path": _path(incident, "/reports"),
        "role": "responder",
        "method": "POST",
        "body": {"form": form.value, "format": fmt.value},
    }
    with CollectorClient(collector, ca_file, insecure, timeout=RENDER_TIMEOUT) as api:
        if out is None and fmt is Format.md:
            _to_stdout(api, **request)
            return
        target = out or Path(f"{incident}-{form.value}.{fmt.value}")
        digest, _ = _save(api, target, "x-netwarden-sha256", **request)
    typer.echo(f"{form.value} draft of {incident} written to {target} (sha256 {digest})", err=True)


def summary(
    *,
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (Vietnam time).")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (included).")],
    fmt: FormatOption = Format.md,
    out: OutFile = None,
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Mẫu 05: the incidents of a period per type and per whose help handled them (responder)."""
    request = {
        "path": "/api/v1/reports/summary",
        "role": "responder",
        "params": {"from": start, "to": end, "format": fmt.value},
    }
    with CollectorClient(collector, ca_file, insecure, timeout=RENDER_TIMEOUT) as api:
        if out is None and fmt is Format.md:
            _to_stdout(api, **request)
            return
        target = out or Path(f"mau-05-{start}-{end}.{fmt.value}")
        digest, _ = _save(api, target, "x-netwarden-sha256", **request)
    typer.echo(f"summary written to {target} (sha256 {digest})", err=True)


def export(
    incident: IncidentId,
    *,
    out: Annotated[Path, typer.Option("--output", "-o", help="The zip to write.")],
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """The evidence bundle: drafts, evidence files, the record, a hashed manifest (responder)."""
    request = {"path": _path(incident, "/export"), "role": "responder", "method": "POST"}
    with CollectorClient(collector, ca_file, insecure, timeout=RENDER_TIMEOUT) as api:
        digest, _ = _save(api, out, "x-netwarden-manifest-sha256", **request)
    typer.echo(f"evidence bundle of {incident} written to {out} (manifest sha256 {digest})")


def _yes(value: YesNo | None) -> bool | None:
    return None if value is None else value is YesNo.yes


def set_fields(
    incident: IncidentId,
    *,
    kind: Annotated[
        str | None, typer.Option("--type", help="Incident type of Mẫu 05, e.g. dos, malware.")
    ] = None,
    confidential: Annotated[YesNo | None, typer.Option("--confidential")] = None,
    support: Annotated[YesNo | None, typer.Option("--support-requested")] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="Short description for the reports.")
    ] = None,
    handled: Annotated[
        HandledWith | None,
        typer.Option("--handled-with", help="alone, domestic, foreign or national help."),
    ] = None,
    output: Annotated[str, typer.Option("--output", help="text or json.")] = "text",
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Set what only a person knows for the reports (responder); each change in the timeline."""
    body: dict[str, Any] = {
        "type": kind,
        "confidential": _yes(confidential),
        "support_requested": _yes(support),
        "description": description,
        "handled_with": handled.value if handled is not None else None,
    }
    body = {k: v for k, v in body.items() if v is not None}
    if not body:
        raise UsageError(
            "give --type, --confidential, --support-requested, --description and/or --handled-with"
        )
    if output not in ("text", "json"):
        raise UsageError("--output must be text or json")
    with CollectorClient(collector, ca_file, insecure) as api:
        answer = api.call("PATCH", _path(incident), "responder", body=body)
    if output == "json":
        emit_json(answer)
        return
    for line in answer["changed"] or ["nothing changed"]:
        typer.echo(f"{incident}: {line}")
