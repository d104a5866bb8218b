"""One draft in one of the three formats: Markdown, .docx, PDF."""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.reports.national import document as doc
from netwarden.reports.national.errors import ReportError

FORMATS = ("md", "docx", "pdf")
MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@dataclass(frozen=True, slots=True)
class Rendered:
    data: bytes
    format: str

    @property
    def media_type(self) -> str:
        return MEDIA[self.format]


def render(draft: doc.Document, fmt: str) -> Rendered:
    """``draft`` as ``fmt`` (heavy libraries imported only for the format asked for)."""
    if fmt == "md":
        from netwarden.reports.national.render_md import render_markdown

        return Rendered(render_markdown(draft).encode("utf-8"), fmt)
    if fmt == "docx":
        from netwarden.reports.national.render_docx import render_docx

        return Rendered(render_docx(draft), fmt)
    if fmt == "pdf":
        from netwarden.reports.national.render_pdf import render_pdf

        return Rendered(render_pdf(draft), fmt)
    raise ReportError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
