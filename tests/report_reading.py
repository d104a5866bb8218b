"""Reading report drafts back in tests: PDF text (pdftotext) normalised, .docx text
(python-docx), PDF pages as PNG (pdftoppm), and the masking of what changes run to run."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

_TIME = re.compile(r"\d{2}:\d{2} ngày \d{2}/\d{2}/\d{4}")
_MADE = re.compile(r"(report \d+ made: [a-z]+ \(tt20-2017, [a-z]+, )\d+ bytes, sha256 [0-9a-f]{64}")
_REPORT_DAY = re.compile(r"(Ngày báo cáo: )\d{2}/\d{2}/\d{4}")
_ADDRESS = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def normalised(text: str) -> str:
    """NFC, whitespace collapsed (a PDF breaks lines inside phrases)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return normalised(done.stdout)


def pdf_pages(path: Path, prefix: Path, dpi: int = 70) -> list[Path]:
    """Each page as ``prefix-N.png``."""
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(path), str(prefix)], check=True, timeout=60
    )
    return sorted(prefix.parent.glob(f"{prefix.name}-*.png"))


def docx_text(path: Path) -> list[str]:
    """Every paragraph of the body and of its tables' cells, in order."""
    import docx

    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                lines += [p.text for p in cell.paragraphs]
    return [unicodedata.normalize("NFC", line) for line in lines]


def masked(markdown: str) -> str:
    """A draft's Markdown with the times of this run (report time, people's actions) and the
    hashes of drafts made in this run replaced, for comparing with a golden file."""
    text = _TIME.sub("<hh:mm ngày dd/mm/yyyy>", markdown)
    text = _MADE.sub(r"\1<size> bytes, sha256 <sha256>", text)
    return _REPORT_DAY.sub(r"\1<dd/mm/yyyy>", text)


def addresses(text: str) -> set[str]:
    """Every IPv4 address written in ``text``."""
    return set(_ADDRESS.findall(text))
