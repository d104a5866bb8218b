"""A draft as Markdown: for reading at a terminal and for golden files."""

from __future__ import annotations

from netwarden.reports.national import document as doc


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _lines(item: doc.Lines, blank: str) -> list[str]:
    if item.lines is None:
        return [f"- {item.label}: {blank}"]
    if len(item.lines) == 1:
        return [f"- {item.label}: {item.lines[0]}"]
    return [f"- {item.label}:", *(f"  - {line}" for line in item.lines)]


def _table(item: doc.Table) -> list[str]:
    lines = ["", f"{item.label}:", ""]
    if not item.rows:
        return [*lines, "(không có)", ""]
    lines.append("| " + " | ".join(_cell(c) for c in item.columns) + " |")
    lines.append("|" + "|".join("---" for _ in item.columns) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in item.rows]
    return [*lines, ""]


def _item(item: doc.Item, blank: str) -> list[str]:
    if isinstance(item, doc.Heading):
        return ["", f"**{item.text}**", ""]
    if isinstance(item, doc.Field):
        return [f"- {item.label}: {item.value if item.value is not None else blank}"]
    if isinstance(item, doc.Choice):
        boxes = "  ".join(f"[{'x' if checked else ' '}] {text}" for text, checked in item.options)
        return [f"- {item.label}: {boxes}"]
    if isinstance(item, doc.Lines):
        return _lines(item, blank)
    return _table(item)


def render_markdown(draft: doc.Document) -> str:
    """The whole draft; blanks are the template's dotted line."""
    out = [f"*{draft.number}*  ", f"*{draft.issued_with}*", ""]
    out += [f"**{line}**  " for line in draft.issuer]
    out += [draft.number_line, ""]
    out += [f"**{line}**  " for line in draft.motto]
    out += [f"*{draft.date_line}*", ""]
    out += [f"# {' — '.join(draft.title)}", ""]
    if draft.recipients is None:
        out.append(f"Kính gửi: {draft.blank}")
    elif len(draft.recipients) == 1:
        out.append(f"Kính gửi: {draft.recipients[0]}")
    else:
        out += ["Kính gửi:", *(f"- {r}" for r in draft.recipients)]
    out.append("")
    for item in draft.items:
        out += _item(item, draft.blank)
    out += ["", "---", ""]
    out += [" | ".join(f"**{title}** {note}" for title, note in draft.signatures), ""]
    out += [f"_{line}_" for line in draft.footer]
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"
