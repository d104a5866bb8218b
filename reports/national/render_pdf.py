"""A draft as HTML (a Jinja2 template beside this file) and as PDF through WeasyPrint, which
lays out with pango and the system's fonts (Debian: fonts-dejavu-core, fonts-liberation2)."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

from netwarden.reports.national import document as doc
from netwarden.reports.national.errors import ReportError

HERE = Path(__file__).parent
_KINDS = {doc.Heading: "heading", doc.Field: "field", doc.Choice: "choice", doc.Lines: "lines"}
# The collector renders in its thread pool; WeasyPrint's font handling (fontconfig, pango) is
# not documented as thread-safe, so one PDF is laid out at a time.
_LAYOUT = threading.Lock()


@functools.cache
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return env.get_template("draft.html.j2")


def render_html(draft: doc.Document) -> str:
    """The draft as one HTML page (escaped; the CSS is given to WeasyPrint apart)."""
    items = [{"kind": _KINDS.get(type(item), "table"), "x": item} for item in draft.items]
    text: str = _template().render(d=draft, items=items)
    return text


def render_pdf(draft: doc.Document) -> bytes:
    """The draft as PDF bytes."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango is missing
        raise ReportError(
            f"PDF drafts need WeasyPrint and pango (scripts/setup.sh installs them): {exc}"
        ) from None
    html = render_html(draft)
    with _LAYOUT:
        css = weasyprint.CSS(filename=str(HERE / "draft.css"))
        pdf: bytes = weasyprint.HTML(string=html).write_pdf(stylesheets=[css])
    return pdf
