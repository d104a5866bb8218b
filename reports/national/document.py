"""A filled form as a renderer sees it: heading, title, recipients, items, signatures.

Built by ``compose.py`` from a form file and the values the record gives; the Markdown, .docx
and HTML renderers each walk it. A value of None is a blank a person fills in (shown as the
template's dotted line), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str | None


@dataclass(frozen=True, slots=True)
class Lines:
    label: str
    lines: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    options: tuple[tuple[str, bool], ...]  # (text, checked); none checked: a person decides


@dataclass(frozen=True, slots=True)
class Table:
    label: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...] = ()  # % of the page per column; empty: equal


Item = Heading | Field | Lines | Choice | Table


@dataclass(frozen=True, slots=True)
class Document:
    """One draft, every text in NFC."""

    form: str
    number: str  # "Mẫu số 03"
    issued_with: str
    issuer: tuple[str, ...]  # left heading: cơ quan chủ quản, đơn vị
    motto: tuple[str, ...]
    number_line: str  # "Số: ……/BC-…"
    date_line: str
    title: tuple[str, ...]
    recipients: tuple[str, ...] | None
    items: tuple[Item, ...]
    signatures: tuple[tuple[str, str], ...]
    blank: str
    footer: tuple[str, ...] = field(default=())  # what made the draft (for the reader)
