"""Report drafts through the collector's API in process (real SQLite store, real intake):
every form in every format, internal addresses never shown, blanks for what the record lacks,
roles, bad input, deadlines and the metric, the summary's counts."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netwarden.collector.api import create_app
from netwarden.collector.api.incident_state import IncidentServices
from netwarden.collector.incidents.evidence import EvidenceFiles
from netwarden.collector.store import open_store
from netwarden.collector.store.incident_store import IncidentStore
from netwarden.reports.national.config import ReportingConfig
from netwarden.reports.national.config_loader import load_reporting
from netwarden.reports.national.deadlines import due_times
from netwarden.reports.national.templates import FORMS, template, versions
from tests.migrated import sqlite_at_head
from tests.report_reading import addresses, docx_text, normalised
from tests.unit.collector.asgi_client import AsgiClient
from tests.unit.collector.conftest import Clock, bearer
from tests.unit.incidents.webhooks import BASE, alert, body

DATA = Path(__file__).parents[2] / "data" / "reports"
INC = "INC-20261123-001"
ONE = f"/api/v1/incidents/{INC}"


class ReportApp:
    def __init__(self, root: Path, clock: Clock, reporting: ReportingConfig) -> None:
        self.store = open_store(sqlite_at_head(root / "collector.db"))
        record = IncidentServices(
            IncidentStore(self.store.engine), EvidenceFiles(root / "evidence"), reporting=reporting
        )
        app = create_app(
            self.store, [DATA / "province.yaml"], insecure=True, clock=clock, incidents=record
        )
        self.client = AsgiClient(app)
        self.clock = clock
        self.tokens = {
            role: self.store.create_user_token(f"u-{role}", role, "test", clock.now)
            for role in ("viewer", "responder", "admin", "webhook")
        }

    def as_(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role])

    def hook(self, *alerts: dict[str, Any]) -> None:
        answer = self.client.post(
            "/api/v1/alerts/alertmanager", json=body(*alerts), headers=self.as_("webhook")
        )
        assert answer.status_code == 200, answer.text

    def draft(self, form: str, fmt: str = "md", role: str = "responder") -> Any:
        return self.client.post(
            f"{ONE}/reports", json={"form": form, "format": fmt}, headers=self.as_(role)
        )

    def due(self) -> dict[str, float]:
        found = {}
        for line in self.client.get("/metrics").text.splitlines():
            if line.startswith("netwarden_incident_report_due_timestamp_seconds{"):
                labels, value = line.rsplit(" ", 1)
                found[labels.split('form="')[1].split('"')[0]] = float(value)
        return found


@pytest.fixture
def app(tmp_path: Path) -> Iterator[ReportApp]:
    clock = Clock(BASE + 600)
    made = ReportApp(tmp_path, clock, load_reporting(DATA / "reporting.yaml"))
    try:
        yield made
    finally:
        made.client.close()
        made.store.close()


def _portal_down(app: ReportApp, **extra: Any) -> None:
    labels = {"incident": "service/cong-dvc", "service": "cong-dvc", "site": "dc"}
    app.hook(
        alert(
            "HttpProbeFailed", summary="máy chủ 198.18.10.21 và 10.1.1.1 quá tải", **labels, **extra
        )
    )


def test_every_form_version_loads_with_its_four_forms() -> None:
    assert versions() == ["tt20-2017"]
    forms = template("tt20-2017")
    assert tuple(forms.forms) == FORMS
    assert forms.data.motto == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert [forms.form(f).number for f in FORMS] == [
        "Mẫu số 02",
        "Mẫu số 03",
        "Mẫu số 04",
        "Mẫu số 05",
    ]
    assert len(forms.data.incident_types) == 10 and len(forms.data.handled_with) == 4


@pytest.mark.parametrize("fmt", ["md", "docx", "pdf"])
def test_no_internal_address_in_any_draft(app: ReportApp, fmt: str, tmp_path: Path) -> None:
    _portal_down(app, instance="198.18.10.21:443")
    description = (
        "Máy chủ 198.18.10.21, 192.168.1.5 và fd00::5 bị quá tải; 203.0.113.10 vẫn trả lời"
    )
    app.client.request(
        "PATCH", ONE, json={"description": description}, headers=app.as_("responder")
    )
    app.client.post(
        f"{ONE}/notes", json={"text": "đổi sang 172.16.0.9"}, headers=app.as_("responder")
    )
    for form in ("notice", "initial", "final"):
        answer = app.draft(form, fmt)
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-netwarden-sha256"] == hashlib.sha256(answer.content).hexdigest()
        path = tmp_path / f"{form}.{fmt}"
        path.write_bytes(answer.content)
        if fmt == "md":
            text = answer.content.decode()
        elif fmt == "docx":
            text = "\n".join(docx_text(path))
        else:
            from tests.report_reading import pdf_text

            text = pdf_text(path)
        assert addresses(text) <= {"203.0.113.10"}, (form, addresses(text))
        assert "fd00::5" not in text and "[địa chỉ nội bộ]" in normalised(text)


def test_blanks_stay_blank_without_a_config(tmp_path: Path) -> None:
    app = ReportApp(tmp_path, Clock(BASE + 600), ReportingConfig())
    try:
        _portal_down(app)
        text = app.draft("initial").content.decode()
    finally:
        app.client.close()
        app.store.close()
    blank = "…………………………"
    for label in (
        "Tên tổ chức",
        "Họ và tên",
        "Chức vụ",
        "Mô tả sơ bộ về sự cố".join(["3. ", ""]),
        "Nội dung kiến nghị, đề xuất",
        "7. Đã gửi thông báo sự cố cho",
    ):
        assert f"- {label}: {blank}" in text, label
    assert f"Kính gửi: {blank}" in text and "Số: ……/BC-……" in text


def test_fields_roles_and_bad_input(app: ReportApp) -> None:
    _portal_down(app)
    patch = lambda body, role="responder": app.client.request(  # noqa: E731
        "PATCH", ONE, json=body, headers=app.as_(role)
    )
    assert patch({"type": "dos"}, "viewer").status_code == 403
    bad = patch({"type": "ddos"})
    assert bad.status_code == 400 and "type must be one of dos, phishing" in bad.json()["error"]
    assert patch({"handled_with": "friends"}).status_code == 400
    assert patch({}).status_code == 400 and patch({"colour": "red"}).status_code == 400
    done = patch({"type": "dos", "handled_with": "national", "confidential": True})
    assert done.status_code == 200
    assert done.json()["changed"] == [
        "confidential: yes",
        "incident type: dos",
        "handled with: national",
    ]
    assert patch({"type": "dos"}).json()["changed"] == []  # the same again: nothing changes
    assert patch({"description": "Tấn công"}).json()["changed"] == ["description: Tấn công"]
    cleared = patch({"description": "  ", "type": None})
    assert cleared.json()["changed"] == ["incident type: (none)", "description: (none)"]
    assert cleared.json()["report_fields"]["description"] is None
    assert app.draft("initial", role="viewer").status_code == 403
    assert app.draft("summary").status_code == 400
    assert (
        app.client.post(
            f"{ONE}/reports",
            json={"form": "initial", "format": "odt"},
            headers=app.as_("responder"),
        ).status_code
        == 400
    )
    assert (
        app.client.post(
            "/api/v1/incidents/INC-20261123-999/reports",
            json={"form": "notice"},
            headers=app.as_("responder"),
        ).status_code
        == 404
    )
    timeline = app.client.get(ONE, headers=app.as_("viewer")).json()["timeline"]
    assert [t["text"] for t in timeline if t["kind"] == "report-fields"][:2] == [
        "incident type: dos",
        "handled with: national",
    ]
    audit = [e.action for e in app.store.audit_entries(20)]
    assert "incident.report-fields" in audit and "incident.flags" not in audit


def test_report_fields_on_a_closed_incident_but_not_its_flags(app: ReportApp) -> None:
    _portal_down(app)
    headers = app.as_("admin")
    app.client.post(f"{ONE}/resolve", json={"summary": "xong"}, headers=headers)
    app.client.post(f"{ONE}/close", json={"summary": "đóng"}, headers=headers)
    ok = app.client.request("PATCH", ONE, json={"type": "other"}, headers=headers)
    assert ok.status_code == 200
    refused = app.client.request("PATCH", ONE, json={"confidential": True}, headers=headers)
    assert refused.status_code == 409 and "final" in refused.json()["error"]


def test_deadlines_come_and_go_with_the_drafts(app: ReportApp) -> None:
    _portal_down(app)
    assert app.due() == {"notice": BASE + 5 * 86400}
    assert app.draft("notice").status_code == 200
    assert app.due() == {}
    app.clock.now = BASE + 7200
    app.client.post(
        f"{ONE}/resolve", json={"summary": "đã khắc phục"}, headers=app.as_("responder")
    )
    assert app.due() == {"final": BASE + 7200 + 5 * 86400}
    assert app.draft("final", "docx").status_code == 200
    assert app.due() == {}
    listed = app.client.get(f"{ONE}/reports", headers=app.as_("viewer")).json()["reports"]
    assert [(r["id"], r["form"], r["format"]) for r in listed] == [
        (1, "notice", "md"),
        (2, "final", "docx"),
    ]


def test_due_times_follow_the_config() -> None:
    forms = template("tt20-2017")
    args: dict[str, Any] = {
        "opened_at": 1000.0,
        "resolved_at": None,
        "serious": False,
        "made": frozenset(),
        "template": forms,
    }
    assert due_times(**args, config=ReportingConfig()) == {"notice": 1000.0 + 5 * 86400}
    fast = ReportingConfig.model_validate({"deadlines": {"notice": "24h", "final": "2d"}})
    resolved = {**args, "resolved_at": 5000.0}
    assert due_times(**resolved, config=fast) == {
        "notice": 1000.0 + 86400,
        "final": 5000.0 + 2 * 86400,
    }
    serious_only = ReportingConfig.model_validate({"deadlines": {"applies_to": "serious"}})
    assert due_times(**args, config=serious_only) == {}
    assert due_times(**{**args, "made": frozenset({"notice"})}, config=fast) == {}


def test_summary_counts_types_and_help(app: ReportApp) -> None:
    _portal_down(app)
    app.client.request(
        "PATCH", ONE, json={"type": "dos", "handled_with": "alone"}, headers=app.as_("responder")
    )
    app.hook(alert("LinkDown", incident="link/tsl-so-yt"))  # a second, unclassified incident
    get = lambda q, role="responder": app.client.get(  # noqa: E731
        f"/api/v1/reports/summary?{q}", headers=app.as_(role)
    )
    text = get("from=2026-11-01&to=2026-11-30").content.decode()
    assert "| 1 | Tấn công từ chối dịch vụ | 1 | 0 | 0 | 0 | 1 |" in text
    assert "|  | Tổng cộng | 1 | 0 | 0 | 0 | 1 |" in text
    assert "INC-20261123-002: " in text and "chưa có loại sự cố, hình thức xử lý" in text
    assert "Từ ngày 01/11/2026 đến ngày 30/11/2026" in text and "TN-0042" in text
    empty = get("from=2026-12-01&to=2026-12-31").content.decode()
    assert "|  | Tổng cộng | 0 | 0 | 0 | 0 | 0 |" in empty and "Không có" in empty
    for query, status in (
        ("from=2026-11-30&to=2026-11-01", 400),
        ("from=2026-02-30&to=2026-03-01", 400),
        ("from=2025-01-01&to=2026-12-31", 400),
        ("to=2026-12-31", 400),
        ("from=2026-11-01&to=2026-11-30&format=odt", 400),
    ):
        assert get(query).status_code == status, query
    assert get("from=2026-11-01&to=2026-11-30", "viewer").status_code == 403


def test_export_holds_drafts_evidence_and_a_verified_manifest(app: ReportApp) -> None:
    _portal_down(app)
    up = app.client.post(
        f"{ONE}/evidence?name=show-run.txt",
        content=b"interface Gi0/1\n" * 50,
        headers=app.as_("responder"),
    )
    assert up.status_code == 200
    answer = app.client.post(f"{ONE}/export", headers=app.as_("responder"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as zf:
        manifest = zf.read(f"{INC}/manifest.json")
        digest = hashlib.sha256(manifest).hexdigest()
        assert answer.headers["x-netwarden-manifest-sha256"] == digest
        assert zf.read(f"{INC}/manifest.json.sha256").decode() == f"{digest}  manifest.json\n"
        import json

        files = json.loads(manifest)["files"]
        for f in files:
            assert hashlib.sha256(zf.read(f"{INC}/{f['path']}")).hexdigest() == f["sha256"]
        assert len(files) == 3 * 3 + 2 and files[-1]["path"] == "evidence/001-show-run.txt"
    assert app.client.post(f"{ONE}/export", headers=app.as_("viewer")).status_code == 403
    assert not list(
        (app_root := Path(app.store.engine.url.database).parent / "evidence" / "tmp").glob(
            "export-*"
        )
    ), app_root


def test_a_long_timeline_loses_no_line_across_pdf_pages(app: ReportApp, tmp_path: Path) -> None:
    _portal_down(app)
    for n in range(150):
        note = {"text": f"bước xử lý số {n:03d}"}
        app.client.post(f"{ONE}/notes", json=note, headers=app.as_("responder"))
    answer = app.draft("final", "pdf")
    assert answer.status_code == 200
    pdf = tmp_path / "final.pdf"
    pdf.write_bytes(answer.content)
    from tests.report_reading import pdf_pages, pdf_text

    text = pdf_text(pdf)
    assert all(f"bước xử lý số {n:03d}" in text for n in range(150))
    assert len(pdf_pages(pdf, tmp_path / "page", dpi=20)) >= 5
