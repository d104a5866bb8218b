"""A form file and the record's values made into a ``Document``: the heading, the motto, the
title, Kính gửi, the items in the form's order, signatures; every text NFC, every internal
address hidden."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from netwarden.reports.national import document as doc
from netwarden.reports.national.config import ReportingConfig
from netwarden.reports.national.errors import ReportError
from netwarden.reports.national.fill import Value, Values
from netwarden.reports.national.redact import Network, redact
from netwarden.reports.national.templates import FormData, Item, Template


class _Clean:
    """NFC and the internal-address filter, applied to every text that goes into a draft."""

    def __init__(self, internal: Sequence[Network]) -> None:
        self.internal = internal

    def __call__(self, text: str) -> str:
        return redact(unicodedata.normalize("NFC", text), self.internal)

    def opt(self, text: str | None) -> str | None:
        return None if text is None else self(text)

    def lines(self, value: Value) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, str):
            return (self(value),)
        return tuple(self(str(v)) for v in value)


def _value(values: Values, key: str, form: str) -> Value:
    if key not in values:
        raise ReportError(f"form {form} uses {key!r}, which the record does not provide")
    return values[key]


def _item(item: Item, values: Values, form: str, clean: _Clean) -> doc.Item:
    if item.heading is not None:
        return doc.Heading(clean(item.heading))
    # Both are checked when the form file is loaded.
    assert item.key is not None
    assert item.label is not None
    value = _value(values, item.key, form)
    label = clean(item.label)
    if item.kind == "field":
        return doc.Field(
            label,
            clean.opt(
                value if isinstance(value, str) or value is None else "; ".join(map(str, value))
            ),
        )
    if item.kind == "lines":
        return doc.Lines(label, clean.lines(value))
    if item.kind == "choice":
        return doc.Choice(
            label, tuple((clean(text), key == value) for key, text in item.options.items())
        )
    rows = value if isinstance(value, tuple) else ()
    cells = tuple(
        tuple(clean(str(c)) for c in (row if isinstance(row, tuple) else (row,))) for row in rows
    )
    columns = tuple(clean(c) for c in item.columns)
    return doc.Table(label, columns, cells, tuple(item.widths))


def compose(
    template: Template,
    form: FormData,
    values: Values,
    config: ReportingConfig,
    footer: Sequence[str] = (),
) -> doc.Document:
    """The draft of ``form`` filled with ``values``."""
    clean = _Clean(config.internal())
    data, org = template.data, config.organisation
    blank = data.blank
    recipients = getattr(config.recipients, form.form)
    return doc.Document(
        form=form.form,
        number=clean(form.number),
        issued_with=clean(form.issued_with),
        issuer=tuple(clean(t) for t in (org.parent, org.name or blank) if t),
        motto=tuple(clean(m) for m in data.motto),
        number_line=clean(
            data.number_line.format(kind=form.document_kind, code=org.document_code or "……")
        ),
        date_line=clean(data.date_line.format(place=org.place or "……")),
        title=tuple(clean(t) for t in form.title),
        recipients=tuple(clean(r) for r in recipients) or None,
        items=tuple(_item(item, values, form.form, clean) for item in form.items),
        signatures=tuple((clean(s.title), clean(s.note)) for s in form.signatures),
        blank=blank,
        footer=tuple(clean(f) for f in footer),
    )
