"""Removing device secrets from a configuration before it is stored or compared.

The store is a git repository: anything committed stays in its history for ever and is copied
by every clone and backup of it. So secrets (even the device's "encrypted" forms: IOS type 7
is reversible, and a type 5/8/9 hash or a Huawei cipher can be attacked offline) never reach
it; each value is replaced by :data:`REDACTED` and the keyword before it is kept, so a diff
still shows *that* a password, key or community changed, not what it became. The price: a
stored configuration cannot be pushed back to a device as it is; secrets must be re-entered.

Rules are per platform (a word such as ``hash`` or ``simple`` precedes a secret on Comware but
not on IOS); an unknown platform gets every rule, erring on the side of redacting too much.
Each rule is a regular expression whose group ``v`` is the value to replace.
"""

from __future__ import annotations

import re
from typing import Final

REDACTED: Final = "<redacted>"

# An IOS encryption type before the value (0, 5, 7, 8, 9). The lookahead stops the rule from
# backtracking to call the type digit itself the secret. (No possessive ``?+`` anywhere here:
# Debian 12's Python 3.11.2 mis-handles possessive quantifiers; fixed only in later 3.11s.)
_TYPE = r"(?:[0-9]\s+)?(?![0-9]\s)"

_IOS: Final = tuple(
    re.compile(rule)
    for rule in (
        # enable secret 9 $9$.., username admin privilege 15 secret 9 .., line vty password 7 ..,
        # neighbor 10.0.0.1 password 7 .. (not `service password-encryption`: no space after)
        # (the value, not Comware's or Huawei's qualifier, when an unknown platform gets every rule)
        rf"\b(?:secret|password)\s+{_TYPE}(?!(?:hash|cipher|irreversible-cipher|simple)\s)"
        r"(?P<v>\S+)",
        # tacacs-server key 7 .., radius-server key .., ` key 7 ..` under `tacacs server`,
        # `ip ospf authentication-key 7 ..`, `crypto isakmp key .. address ..`; not a key-chain
        # key id (` key 1`), `key chain NAME`, `crypto key generate` or a pre-shared-key.
        rf"(?<!shared-)\bkey\s+(?![0-9]+$)(?!chain\b|generate\b|config-key\b){_TYPE}(?!md5\b)"
        r"(?P<v>\S+)",
        rf"\bkey-string\s+{_TYPE}(?P<v>\S+)",
        rf"\bpre-shared-key\s+(?:(?:local|remote)\s+)?{_TYPE}(?P<v>\S+)",
        # ip ospf message-digest-key 1 md5 7 .., ntp authentication-key 1 md5 .. 7
        rf"\bmd5\s+(?!key-string\b|key-chain\b){_TYPE}(?P<v>\S+)",
        r"\bwpa-psk\s+(?:ascii|hex)\s+" + _TYPE + r"(?P<v>\S+)",
        r"^\s*snmp-server\s+community\s+(?P<v>\S+)",
        # snmp-server host 10.0.0.5 [traps|informs] [version 1|2c] COMMUNITY (not version 3)
        r"^\s*snmp-server\s+host\s+\S+\s+(?:(?:traps|informs)\s+)?(?:version\s+(?:1|2c)\s+)?"
        r"(?!version\b|traps\b|informs\b)(?P<v>\S+)",
        # snmp-server user U G v3 auth sha AUTH priv aes 128 PRIV
        r"\bauth\s+(?:md5|sha)\s+(?P<v>\S+)",
        r"\bpriv\s+(?:des|3des|aes(?:\s+\d+)?)\s+(?P<v>\S+)",
    )
)

# SNMPv3 users on Huawei and Comware: authentication-mode sha [cipher] X privacy-mode aes128 Y
_USM = (
    r"\b(?:authentication-mode|privacy-mode)\s+"
    r"(?:md5|sha|sha2-\d+|sha224|sha256|sha384|sha512|des56|3des|aes128|aes192|aes256)\s+"
    # not the key id of `authentication-mode md5 1 cipher X` (the cipher rule takes X)
    r"(?:(?:cipher|simple)\s+)?(?!(?:cipher|simple)\s)(?![0-9]+\s+(?:cipher|plain|simple)\b)"
    r"(?P<v>\S+)"
)
# snmp-agent community read|write [simple|cipher] NAME (a bare NAME on older releases)
_COMMUNITY = (
    r"\bsnmp-agent\s+community\s+(?:read|write)\s+(?:(?:simple|cipher)\s+)?"
    r"(?!(?:simple|cipher)\s)(?P<v>\S+)"
)

_HUAWEI: Final = tuple(
    re.compile(rule)
    for rule in (
        # local-user admin password irreversible-cipher $1a$..$, snmp-agent community read
        # cipher %^%#..%^%#, radius-server shared-key cipher .., super password level 15 cipher
        r"\b(?:irreversible-)?cipher\s+(?P<v>\S+)",
        r"\b(?:simple|plain)\s+(?:plain\s+)?(?!plain\s|cipher\b)(?P<v>\S+)",
        _USM,
        _COMMUNITY,
    )
)

_COMWARE: Final = tuple(
    re.compile(rule)
    for rule in (
        # password hash $h$6$.., password cipher $c$3$.., password simple .., key
        # authentication cipher .., super password role network-admin hash ..; Comware 7 writes
        # `usm-user .. cipher authentication-mode sha $c$..`: there the value comes later.
        r"\b(?:cipher|simple|hash)\s+(?!authentication-mode\b)(?P<v>\S+)",
        _USM,
        _COMMUNITY,
    )
)

_RULES: Final[dict[str, tuple[re.Pattern[str], ...]]] = {
    "cisco_ios": _IOS,
    "huawei": _HUAWEI,
    "hp_comware": _COMWARE,
}
_EVERY_RULE: Final = tuple(dict.fromkeys((*_IOS, *_HUAWEI, *_COMWARE)))


def redact_line(line: str, rules: tuple[re.Pattern[str], ...]) -> str:
    """``line`` with the value of every secret the ``rules`` find replaced by REDACTED."""
    for rule in rules:
        spans = [match.span("v") for match in rule.finditer(line)]
        for start, end in reversed(spans):  # right to left: earlier offsets stay valid
            line = line[:start] + REDACTED + line[end:]
    return line


def redact(text: str, platform: str) -> str:
    """``text`` (a whole configuration) with its secrets replaced by :data:`REDACTED`."""
    rules = _RULES.get(platform, _EVERY_RULE)
    return "\n".join(redact_line(line, rules) for line in text.split("\n"))
