"""The form versions under ``forms/<version>/``: a ``template.yaml`` (motto, heading lines,
deadlines, incident types) and one file per form (title, items in the form's order, signatures).

They are data, checked strictly when loaded (a test loads every version), and read once.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from netwarden.reports.national.config import Deadline
from netwarden.reports.national.errors import ReportError

FORMS_DIR = Path(__file__).with_name("forms")
FORMS = ("notice", "initial", "final", "summary")
Form = Literal["notice", "initial", "final", "summary"]


class _Data(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class DeadlineRule(_Data):
    after: Literal["discovery", "resolution"]
    within: Deadline


class Signature(_Data):
    title: str
    note: str


class Item(_Data):
    """One entry of a form, in the form's order: a heading, a field, a choice, lines, a table."""

    heading: str | None = None
    field: str | None = None
    choice: str | None = None
    lines: str | None = None
    table: str | None = None
    label: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    columns: list[str] = Field(default_factory=list)
    widths: list[int] = Field(default_factory=list)  # a table's column widths, % of the page

    @model_validator(mode="after")
    def _one_kind(self) -> Item:
        kinds = [k for k in ("heading", "field", "choice", "lines", "table") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError(f"an item is one of heading, field, choice, lines, table: {kinds}")
        if self.heading is None and self.label is None:
            raise ValueError(f"{kinds[0]} {getattr(self, kinds[0])} needs a label")
        if self.widths and (len(self.widths) != len(self.columns) or sum(self.widths) != 100):
            raise ValueError(f"table {self.table}: one width per column, adding up to 100")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("heading", "field", "choice", "lines", "table") if getattr(self, k))

    @property
    def key(self) -> str | None:
        """The value key the record fills (None for a heading)."""
        return self.field or self.choice or self.lines or self.table


class FormData(_Data):
    form: Form
    number: str
    issued_with: str
    document_kind: str
    title: list[str]
    items: list[Item]
    signatures: list[Signature]


class TemplateData(_Data):
    name: str
    motto: list[str]
    blank: str
    date_line: str
    number_line: str
    forms: list[Form]
    deadlines: dict[Form, DeadlineRule]
    incident_types: dict[str, str]
    handled_with: dict[Literal["alone", "domestic", "foreign", "national"], str]


class Template:
    """One version of the forms, loaded and checked."""

    def __init__(self, version: str, data: TemplateData, forms: dict[Form, FormData]) -> None:
        self.version, self.data, self.forms = version, data, forms

    def form(self, form: str) -> FormData:
        found = next((f for name, f in self.forms.items() if name == form), None)
        if found is None:
            raise ReportError(f"form {form!r} is not one of {', '.join(self.forms)}")
        return found


def _nfc(value: Any) -> Any:
    """Every text of a form file in NFC (what Vietnamese text must be, whatever the editor)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    return value


def _read(path: Path) -> Any:
    try:
        return _nfc(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise ReportError(f"form file {path}: {str(exc).splitlines()[0]}") from None


def versions() -> list[str]:
    """The form versions shipped (folder names)."""
    return sorted(p.name for p in FORMS_DIR.iterdir() if (p / "template.yaml").is_file())


@functools.cache
def template(version: str) -> Template:
    """The forms of ``version`` (``ReportError`` if unknown or broken)."""
    root = FORMS_DIR / version
    if version not in versions():
        raise ReportError(f"no form version {version!r} (known: {', '.join(versions())})")
    try:
        data = TemplateData.model_validate(_read(root / "template.yaml"))
        forms = {f: FormData.model_validate(_read(root / f"{f}.yaml")) for f in data.forms}
    except ValidationError as exc:
        raise ReportError(f"form version {version}: {str(exc).splitlines()[0]}") from None
    return Template(version, data, forms)
