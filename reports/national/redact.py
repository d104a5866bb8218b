"""Internal addresses never leave in a report: Thông tư 20/2017's Mẫu 03 asks for the
Internet-facing addresses only. Every text of a draft (alert summaries and people's notes in
the timeline included) has each address inside ``internal_networks`` replaced."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
HIDDEN = "[địa chỉ nội bộ]"
# Candidates only; ipaddress decides. IPv6 needs two colons, so a time (22:50) never is one;
# an IPv4 address may be followed by its port (10.1.2.3:9100).
_V4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)")
_V6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")


def is_internal(address: str, internal: Sequence[Network]) -> bool:
    """Whether ``address`` lies in one of the networks (an unparsable one counts as internal:
    what cannot be checked is not published)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    return any(ip.version == net.version and ip in net for net in internal)


def redact(text: str, internal: Sequence[Network]) -> str:
    """``text`` with every internal address replaced by ``HIDDEN``."""

    def one(m: re.Match[str]) -> str:
        candidate = m.group(0)
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            return candidate
        return HIDDEN if is_internal(candidate, internal) else candidate

    return _V6.sub(one, _V4.sub(one, text))
