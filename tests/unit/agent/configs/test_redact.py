"""Redaction line by line: each secret form of each platform, and look-alikes left alone."""

from __future__ import annotations

import pytest

from netwarden.agent.configs.redact import redact

R = "<redacted>"

CASES = [
    # IOS: secrets
    ("cisco_ios", "enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", f"enable secret 5 {R}"),
    ("cisco_ios", "enable password 7 0822455D0A16", f"enable password 7 {R}"),
    ("cisco_ios", "enable password Cisco123", f"enable password {R}"),
    ("cisco_ios", "username u password 0 plain", f"username u password 0 {R}"),
    ("cisco_ios", "snmp-server community public RO", f"snmp-server community {R} RO"),
    ("cisco_ios", "snmp-server host 10.0.0.5 traps version 2c trapcomm",
     f"snmp-server host 10.0.0.5 traps version 2c {R}"),
    ("cisco_ios", "snmp-server host 10.0.0.5 v1comm", f"snmp-server host 10.0.0.5 {R}"),
    ("cisco_ios", "tacacs-server key 7 1511021F0725", f"tacacs-server key 7 {R}"),
    ("cisco_ios", " server-private 10.0.0.9 key 7 0000", f" server-private 10.0.0.9 key 7 {R}"),
    ("cisco_ios", " wpa-psk ascii 7 1234ABCD", f" wpa-psk ascii 7 {R}"),
    ("cisco_ios", " pre-shared-key 6 AbCd", f" pre-shared-key 6 {R}"),
    # IOS: look-alikes that hold no secret
    ("cisco_ios", "service password-encryption", "service password-encryption"),
    ("cisco_ios", "no service password-recovery", "no service password-recovery"),
    ("cisco_ios", "security passwords min-length 10", "security passwords min-length 10"),
    ("cisco_ios", "key chain OSPF", "key chain OSPF"),
    ("cisco_ios", " key 1", " key 1"),
    ("cisco_ios", "crypto key generate rsa modulus 2048", "crypto key generate rsa modulus 2048"),
    ("cisco_ios", " hash md5", " hash md5"),
    ("cisco_ios", " area 0 authentication message-digest", " area 0 authentication message-digest"),
    ("cisco_ios", "snmp-server host 10.0.0.5 version 3 priv nms",
     "snmp-server host 10.0.0.5 version 3 priv nms"),
    ("cisco_ios", "snmp-server host 10.0.0.5 traps version 3 auth nms",
     "snmp-server host 10.0.0.5 traps version 3 auth nms"),
    ("cisco_ios", " standby 1 authentication md5 key-chain HSRP",
     " standby 1 authentication md5 key-chain HSRP"),
    # Huawei
    ("huawei", "snmp-agent community read public", f"snmp-agent community read {R}"),
    ("huawei", " super password level 15 cipher %^%#x%^%#",
     f" super password level 15 cipher {R}"),
    ("huawei", "  authentication-mode md5 1 plain k3y", f"  authentication-mode md5 1 plain {R}"),
    ("huawei", " ospf authentication-mode simple cipher %^%#y%^%#",
     f" ospf authentication-mode simple cipher {R}"),
    ("huawei", " authentication-mode password", " authentication-mode password"),
    ("huawei", "snmp-agent community complexity-check disable",
     "snmp-agent community complexity-check disable"),
    # Comware
    ("hp_comware", " snmp-agent community read public", f" snmp-agent community read {R}"),
    ("hp_comware", " snmp-agent usm-user v3 u g simple authentication-mode sha a1 privacy-mode"
     " aes128 p1", f" snmp-agent usm-user v3 u g simple authentication-mode sha {R}"
     f" privacy-mode aes128 {R}"),
    ("hp_comware", " password-recovery enable", " password-recovery enable"),
    ("hp_comware", " authentication-mode scheme", " authentication-mode scheme"),
]  # fmt: skip


@pytest.mark.parametrize(("platform", "line", "expected"), CASES)
def test_line(platform: str, line: str, expected: str) -> None:
    assert redact(line, platform) == expected


def test_an_unknown_platform_gets_every_rule() -> None:
    text = (
        "enable secret 5 $1$abc\nsnmp-agent community read cipher %^%#z%^%#\n"
        " password hash $h$6$q\n"
    )
    assert redact(text, "juniper_junos") == (
        f"enable secret 5 {R}\nsnmp-agent community read cipher {R}\n password hash {R}\n"
    )


def test_ios_hash_is_not_a_secret_keyword_but_comware_hash_is() -> None:
    assert redact(" hash sha", "cisco_ios") == " hash sha"
    assert redact(" password hash $h$6$x", "hp_comware") == f" password hash {R}"
