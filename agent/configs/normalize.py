"""A fetched configuration as the store keeps it: volatile lines removed, secrets redacted.

Two fetches of an unchanged device must give the same text, or every backup would be a
"change" and the alert on unplanned changes would cry wolf. So lines that differ between
fetches without anything being configured are dropped:

* IOS: ``Building configuration...``, ``Current configuration : N bytes`` (the byte count moves
  with any change, so it would only duplicate the real diff line), ``! Last configuration change
  at ...``, ``! NVRAM config last updated at ...``, ``! No configuration change since last
  restart`` (these move on a ``write memory`` or a change reverted), ``ntp clock-period N``
  (IOS rewrites its clock drift estimate by itself);
* Huawei VRP: ``!Last configuration was updated|saved at ...`` (VRP 8 / CloudEngine) and the
  ``2024-03-05 10:22:15.123 +07:00`` line VRP 8 prints before a display command's output when
  ``timestamp`` is enabled;
* Comware prints nothing volatile in ``display current-configuration``.

``!Software Version V200R...`` is kept on purpose: it does not change between fetches, and a
software upgrade is a change an admin wants to see in the history. Line ends become ``\\n``,
trailing blanks and blank lines at either end are removed, and secrets are redacted
(:mod:`netwarden.agent.configs.redact`).
"""

from __future__ import annotations

import re
from typing import Final

from netwarden.agent.configs.redact import redact

_VOLATILE: Final = re.compile(
    "|".join(
        (
            r"Building configuration\.\.\.",
            r"Current configuration\s*:\s*\d+ bytes",
            r"! Last configuration change at .*",
            r"! NVRAM config last updated at .*",
            r"! No configuration change since last restart",
            r"\s*ntp clock-period \d+",
            r"!Last configuration was (?:updated|saved) at .*",
            # VRP 8 `timestamp enable`: date, time, optional fraction, offset and DST tag
            r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?: [+-]\d{2}:\d{2})?(?: DST)?",
        )
    )
)


def strip_volatile(text: str) -> str:
    """``text`` without the lines that change from one fetch to the next (see module doc)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept = [line for line in lines if not _VOLATILE.fullmatch(line)]
    while kept and not kept[0]:
        kept.pop(0)
    while kept and not kept[-1]:
        kept.pop()
    return "".join(f"{line}\n" for line in kept)


def normalize(text: str, platform: str) -> str:
    """The configuration ``text`` of a ``platform`` device as it is stored and compared."""
    return redact(strip_volatile(text), platform)
