"""Normalised events: what a trap or a syslog line means, whatever the vendor.

``kind`` is one of :data:`KINDS`; anything not recognised is ``other`` and keeps its trap OID
and varbinds, or its text. The payload (:meth:`DeviceEvent.payload`) is what the collector
stores and ``GET /api/v1/events`` returns.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from netwarden.agent.events.syslog_parse import SyslogMessage
from netwarden.agent.events.trap_decode import Notification
from netwarden.agent.snmp.types import Oid, VarBind
from netwarden.agent.snmp.types import format_oid as _format_oid

KINDS = ("linkDown", "linkUp", "coldStart", "warmStart", "authenticationFailure",
         "configChange", "loginFailure", "other")  # fmt: skip
MESSAGE_MAX = 2048  # characters of a syslog line kept in an event
VARBINDS_MAX = 32
VALUE_MAX = 256

# A device sends the same few OIDs over and over: format each once (a fifth of a trap's CPU).
format_oid = functools.lru_cache(maxsize=8192)(_format_oid)

_SNMP_TRAPS = (1, 3, 6, 1, 6, 3, 1, 1, 5)
TRAP_KINDS: dict[Oid, str] = {
    (*_SNMP_TRAPS, 1): "coldStart",
    (*_SNMP_TRAPS, 2): "warmStart",
    (*_SNMP_TRAPS, 3): "linkDown",
    (*_SNMP_TRAPS, 4): "linkUp",
    (*_SNMP_TRAPS, 5): "authenticationFailure",
    (1, 3, 6, 1, 4, 1, 9, 9, 43, 2, 0, 1): "configChange",  # CISCO-CONFIG-MAN ciscoConfigManEvent
    (1, 3, 6, 1, 4, 1, 2011, 6, 10, 2, 1): "configChange",  # HUAWEI-CONFIG-MAN hwCfgChgNotify
    (1, 3, 6, 1, 4, 1, 25506, 2, 4, 2, 1): "configChange",  # HH3C-CONFIG-MAN hh3cCfgManEventlog
    (1, 3, 6, 1, 4, 1, 9, 9, 41, 2, 0, 1): "other",  # clogMessageGenerated: its text is kept
}
_IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)

# Syslog: (pattern, kind); the first match wins. IOS/NX-OS, Huawei VRP, H3C/Comware, Linux.
SYSLOG_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"%SYS-\d-CONFIG_I\b|%%\d*CFG/\d/CFG_CHANGE|%%\d*CFGMAN/\d/CFGMAN_CFGCHANGED"
                r"|%%\d*CFGMAN/\d/CFG_CHANGED"), "configChange"),
    (re.compile(r"%SEC_LOGIN-\d-LOGIN_FAILED|%%\d*SSH/\d/SSH_FAIL|%%\d*SHELL/\d/LOGINFAIL"
                r"|LOGIN_FAIL|Failed password for|authentication failure", re.I), "loginFailure"),
    (re.compile(r"%LINK-\d-UPDOWN: Interface (?P<if>\S+), changed state to down"
                r"|%%\d*IFNET/\d/(?:LINK_STATE|IF_STATE).*?Interface (?P<if2>\S+?)[, ].*?down"
                r"|%%\d*IFNET/\d/LINK_UPDOWN: (?P<if3>\S+) link status is DOWN"), "linkDown"),
    (re.compile(r"%LINK-\d-UPDOWN: Interface (?P<if>\S+), changed state to up"
                r"|%%\d*IFNET/\d/(?:LINK_STATE|IF_STATE).*?Interface (?P<if2>\S+?)[, ].*?up"
                r"|%%\d*IFNET/\d/LINK_UPDOWN: (?P<if3>\S+) link status is UP"), "linkUp"),
    (re.compile(r"%SYS-\d-RESTART\b|%%\d*DEV/\d/SYS_RESTART"), "coldStart"),
)  # fmt: skip


@dataclass(frozen=True)
class Sender:
    """Who sent it: the device this agent knows at that address, or an unknown one."""

    address: str
    device: str | None = None
    site: str | None = None
    role: str | None = None

    @functools.cached_property
    def labels(self) -> tuple[str, str, str]:
        """(device, site, role) as the metrics label them; a sender is built once per address
        and inventory load, so once each."""
        return (self.device or "unknown", self.site or "", self.role or "")


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, which
# cost ~2 µs an event (a tenth of a syslog line's CPU); nothing changes an event once built.
@dataclass(slots=True)
class DeviceEvent:
    at: float  # when the agent received it
    source: str  # "trap" or "syslog"
    kind: str
    sender: Sender
    message: str
    severity: str | None = None
    if_index: int | None = None
    if_name: str | None = None
    trap_oid: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "device": self.sender.device,
            "site": self.sender.site,
            "role": self.sender.role,
            "address": self.sender.address,
            "severity": self.severity,
            "message": self.message,
            "ifIndex": self.if_index,
            "ifName": self.if_name,
            "trap_oid": self.trap_oid,
            **self.details,
        }


def trap_event(
    note: Notification, sender: Sender, at: float, if_names: dict[int, str]
) -> DeviceEvent:
    """The event of a decoded notification; ``if_names`` is the sender's ifIndex -> ifName."""
    oid = note.trap_oid
    kind = TRAP_KINDS.get(oid, "other") if oid is not None else "other"
    varbinds = note.payload_varbinds
    if_index = _if_index(varbinds) if kind in ("linkDown", "linkUp") else None
    if_name = if_names.get(if_index) if if_index is not None else None
    oid_text = format_oid(oid) if oid is not None else None
    where = f" {if_name or if_index}" if if_index is not None else ""
    details: dict[str, Any] = {
        "varbinds": [[format_oid(vb.oid), _value_text(vb)] for vb in varbinds[:VARBINDS_MAX]],
        "pdu": "inform" if note.reply is not None else "trap",
        "version": "v3" if note.user is not None else "v2c",
    }
    return DeviceEvent(
        at,
        "trap",
        kind,
        sender,
        f"{kind}{where} ({oid_text})",
        None,
        if_index,
        if_name,
        oid_text,
        details,
    )


def syslog_event(msg: SyslogMessage, sender: Sender, at: float) -> DeviceEvent:
    kind, if_name = "other", None
    for pattern, rule_kind in SYSLOG_RULES:
        found = pattern.search(msg.text)
        if found is not None:
            kind = rule_kind
            groups = [g for g in found.groupdict().values() if g]
            if_name = groups[0] if groups else None
            break
    details: dict[str, Any] = {
        "facility": msg.facility,
        "hostname": msg.hostname,
        "app": msg.app,
        "sent_at": msg.timestamp,
    }
    if msg.flags:
        details["flags"] = list(msg.flags)
    return DeviceEvent(
        at,
        "syslog",
        kind,
        sender,
        msg.text[:MESSAGE_MAX],
        msg.severity_name,
        None,
        if_name,
        None,
        details,
    )


def _if_index(varbinds: list[VarBind]) -> int | None:
    # linkDown/linkUp carry ifIndex.N, ifAdminStatus.N, ifOperStatus.N: the instance is N.
    for vb in varbinds:
        if vb.oid[: len(_IF_ENTRY)] == _IF_ENTRY and len(vb.oid) == len(_IF_ENTRY) + 2:
            return vb.oid[-1]
    return None


def _value_text(vb: VarBind) -> str | int:
    value = vb.value
    if isinstance(value, int):
        return value
    if isinstance(value, tuple):
        return format_oid(value)
    if isinstance(value, bytes):
        text = value.decode(errors="replace") if value.isascii() else value.hex(":")
        return text[:VALUE_MAX]
    return "" if value is None else str(value)[:VALUE_MAX]
