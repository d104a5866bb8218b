"""Syslog messages: RFC 5424 and RFC 3164 (BSD) lines, parsed leniently as devices send them.

Nothing here raises on content: a line without a valid ``<PRI>`` is kept whole with the
default priority (user.notice, RFC 3164 4.3.3) and flagged ``no-pri``; bytes that are not
UTF-8 are decoded with replacement characters and flagged ``invalid-utf8``.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
DEFAULT_PRI = 13  # user.notice
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: n for n, name in enumerate(MONTH_NAMES, 1)}
_PRI = re.compile(r"<(\d{1,3})>")
_RFC5424 = re.compile(
    r"1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) (?P<msgid>\S+) "
    # SD elements: quoted values may hold "]" (escaped or not: devices differ).
    r'(?P<sd>-|(?:\[[^\]"]*(?:"(?:[^"\\]|\\.)*"[^\]"]*)*\])+) ?(?P<msg>.*)',
    re.DOTALL,
)
_RFC3164 = re.compile(
    r"(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?:(?P<host>[^\s:\[]+) )?"
    r"(?:(?P<tag>[\w./-]{1,48})(?:\[(?P<proc>[^\]]{0,32})\])?: ?)?(?P<msg>.*)",
    re.DOTALL,
)


@dataclass(slots=True)  # not frozen: see DeviceEvent (a storm builds 10,000 a second)
class SyslogMessage:
    """One message; ``timestamp`` is the sender's (None when absent or unparseable)."""

    facility: int
    severity: int
    text: str
    hostname: str | None = None
    app: str | None = None
    timestamp: float | None = None
    flags: tuple[str, ...] = field(default=())

    @property
    def severity_name(self) -> str:
        return SEVERITIES[self.severity]


def parse_syslog(raw: bytes) -> SyslogMessage:
    """Parse one message (one datagram, or one TCP frame without its framing)."""
    flags: tuple[str, ...] = ()
    try:
        line = raw.decode()
    except UnicodeDecodeError:
        line = raw.decode(errors="replace")
        flags = ("invalid-utf8",)
    line = line.rstrip("\r\n\x00")
    pri = _PRI.match(line)
    if pri is None or int(pri.group(1)) > 191:
        return SyslogMessage(DEFAULT_PRI >> 3, DEFAULT_PRI & 7, line, flags=(*flags, "no-pri"))
    value, rest = int(pri.group(1)), line[pri.end() :]
    facility, severity = value >> 3, value & 7
    # RFC 5424 starts with its version ("1 "); most devices send RFC 3164: try that first then.
    m5424 = _RFC5424.fullmatch(rest) if rest.startswith("1 ") else None
    if m5424 is not None:
        return SyslogMessage(
            facility,
            severity,
            m5424["msg"].removeprefix("\ufeff"),
            hostname=_nil(m5424["host"]),
            app=_nil(m5424["app"]),
            timestamp=_iso_time(m5424["ts"]),
            flags=flags,
        )
    m3164 = _RFC3164.fullmatch(rest)
    if m3164 is not None:
        return SyslogMessage(
            facility,
            severity,
            m3164["msg"],
            hostname=m3164["host"],
            app=m3164["tag"],
            timestamp=_bsd_time(time.gmtime().tm_year, m3164["ts"]),
            flags=flags,
        )
    # Cisco IOS without "service timestamps": "<189>123: *Mar  1 ...: %SYS-5-CONFIG_I: ...".
    return SyslogMessage(facility, severity, rest.strip(), flags=flags)


def _nil(value: str) -> str | None:
    return None if value == "-" else value


def _iso_time(text: str) -> float | None:
    if text == "-":
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _bsd_time(year: int, text: str) -> float | None:
    """``Mmm dd hh:mm:ss`` (the regex checked the shape) as a UTC time of ``year``: no year
    and no zone in RFC 3164 (the agent's receive time is kept too). Cached: a busy sender
    repeats the same second many times, and strptime cost a third of a line's CPU."""
    try:
        return datetime(
            year,
            _MONTHS[text[:3]],
            int(text[4:6]),
            int(text[7:9]),
            int(text[10:12]),
            int(text[13:15]),
            tzinfo=UTC,
        ).timestamp()
    except (KeyError, ValueError):
        return None
