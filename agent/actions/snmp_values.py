"""SNMP varbinds as JSON and as net-snmp-style text lines (``OID = TYPE: value``)."""

from __future__ import annotations

import ipaddress
from typing import Any

from netwarden.agent.snmp.types import Tag, VarBind, format_oid

_TYPES = {
    Tag.INTEGER: "INTEGER", Tag.OCTET_STRING: "STRING", Tag.NULL: "NULL",
    Tag.OBJECT_IDENTIFIER: "OID", Tag.IP_ADDRESS: "IpAddress", Tag.COUNTER32: "Counter32",
    Tag.GAUGE32: "Gauge32", Tag.TIMETICKS: "Timeticks", Tag.OPAQUE: "Opaque",
    Tag.COUNTER64: "Counter64", Tag.NO_SUCH_OBJECT: "noSuchObject",
    Tag.NO_SUCH_INSTANCE: "noSuchInstance", Tag.END_OF_MIB_VIEW: "endOfMibView",
}  # fmt: skip


def plain(vb: VarBind) -> int | str | None:
    """The value as JSON: a number (exact, Counter64 included), text (UTF-8 as it is, other
    bytes as ``0x`` hex), a dotted OID or address; None for NULL and the exceptions."""
    value = vb.value
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, tuple):
        return format_oid(value)
    if vb.tag is Tag.IP_ADDRESS and len(value) == 4:
        return str(ipaddress.IPv4Address(value))
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + value.hex()
    # Line breaks are common in sysDescr; any other control character means binary data.
    printable = all(char.isprintable() or char in "\r\n\t" for char in text)
    return text if printable else "0x" + value.hex()


def varbind_dict(vb: VarBind) -> dict[str, Any]:
    return {"oid": format_oid(vb.oid), "type": _TYPES.get(vb.tag, str(vb.tag)), "value": plain(vb)}


def varbind_line(vb: VarBind) -> str:
    kind = _TYPES.get(vb.tag, str(vb.tag))
    if vb.is_exception:
        return f"{format_oid(vb.oid)} = {kind}"
    value = plain(vb)
    shown = f'"{value}"' if vb.tag is Tag.OCTET_STRING and value is not None else value
    return f"{format_oid(vb.oid)} = {kind}: {shown}"
