"""A draft as .docx (python-docx), for the officer to edit, sign and seal: Times New Roman 13,
the heading in two columns as Vietnamese administrative documents have it (NĐ 30/2020)."""

from __future__ import annotations

import io
from typing import Any

from netwarden.reports.national import document as doc

FONT = "Times New Roman"  # Liberation Serif on Linux has its metrics (fonts-liberation2)


def _para(container: Any, text: str, *, bold: bool = False, italic: bool = False,
          center: bool = False, size: int = 13) -> Any:  # fmt: skip
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = container.add_paragraph()
    run = p.add_run(text)
    run.bold, run.italic, run.font.size, run.font.name = bold, italic, Pt(size), FONT
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(2)
    return p


def _heading(document: Any, draft: doc.Document) -> None:
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.paragraphs[0].text = ""
    right.paragraphs[0].text = ""
    for n, line in enumerate(draft.issuer):
        _para(left, line.upper(), bold=n == len(draft.issuer) - 1, center=True, size=12)
    _para(left, draft.number_line, center=True)
    for n, line in enumerate(draft.motto):
        _para(right, line, bold=True, center=True, size=12 if n == 0 else 13)
    _para(right, draft.date_line, italic=True, center=True)


def _item(document: Any, item: doc.Item, blank: str) -> None:
    if isinstance(item, doc.Heading):
        _para(document, item.text, bold=True)
    elif isinstance(item, doc.Field):
        _para(document, f"{item.label}: {item.value if item.value is not None else blank}")
    elif isinstance(item, doc.Choice):
        boxes = "    ".join(f"{'☒' if checked else '☐'} {text}" for text, checked in item.options)
        _para(document, f"{item.label}: {boxes}")
    elif isinstance(item, doc.Lines):
        if item.lines is None or len(item.lines) == 1:
            _para(document, f"{item.label}: {item.lines[0] if item.lines else blank}")
        else:
            _para(document, f"{item.label}:")
            for line in item.lines:
                _para(document, f"- {line}")
    else:
        _table(document, item)


def _table(document: Any, item: doc.Table) -> None:
    _para(document, f"{item.label}:")
    if not item.rows:
        _para(document, "(không có)")
        return
    table = document.add_table(rows=1 + len(item.rows), cols=len(item.columns))
    table.style = "Table Grid"
    for row, cells in zip(table.rows, (item.columns, *item.rows), strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text


def render_docx(draft: doc.Document) -> bytes:
    """The draft as the bytes of a .docx file."""
    import docx
    from docx.shared import Cm, Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(3.0), Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    _para(document, f"{draft.number}", bold=True, center=True)
    _para(document, draft.issued_with, italic=True, center=True, size=11)
    _heading(document, draft)
    for line in draft.title:
        _para(document, line, bold=True, center=True, size=14)
    if draft.recipients is None:
        _para(document, f"Kính gửi: {draft.blank}", center=True)
    else:
        for n, who in enumerate(draft.recipients):
            _para(document, f"{'Kính gửi: ' if n == 0 else ''}{who}", center=True)
    for item in draft.items:
        _item(document, item, draft.blank)
    signatures = document.add_table(rows=1, cols=len(draft.signatures))
    for cell, (title, note) in zip(signatures.rows[0].cells, draft.signatures, strict=True):
        cell.paragraphs[0].text = ""
        _para(cell, title, bold=True, center=True)
        _para(cell, note, italic=True, center=True)
    for line in draft.footer:
        _para(document, line, italic=True, size=10)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
