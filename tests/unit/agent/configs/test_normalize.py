"""The normaliser on realistic configurations of the three platforms (golden files), and the
properties the store relies on: volatile lines gone, secrets gone, idempotent, changes kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netwarden.agent.configs.normalize import normalize, strip_volatile
from netwarden.agent.configs.redact import REDACTED

DATA = Path(__file__).parents[3] / "data" / "configs"
PLATFORMS = ("cisco_ios", "huawei", "hp_comware")

# Every secret value written into the golden inputs: none may survive normalisation.
SECRETS = {
    "cisco_ios": [
        "$9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM", "0822455D0A16544541",
        "$9$zUHxWlmyqb8m/k$gKeaX3Q6b.Hp0bD2Tq4tUCkH0dXpJN/nkWOj3KdlT5E", "104D000A0618",
        "02050D480809", "070C285F4D06", "13061E010803", "01100F175804", "StcRO2024",
        "StcRW#2024", "AuthPass123", "PrivPass456", "StcTrap2024", "060506324F41",
        "RadKey!2024", "IsakmpSecret6x", "Ikev2LocalKey", "Ikev2RemoteKey", "104D000A0618AB",
        "045802150C2E", "05080F1C2243",
    ],
    "huawei": [
        "%^%#ab1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q6R7s8T9u%^%#", "HwTacacsCipherValue",
        "$1a$Kx3D!;Q5lZ$Y7b=>h~GjS0nK{Pq,8sD$", "OpsCipher9aS3d", "VrrpPlainKey",
        "OspfAreaKeyCipher", "CommReadCipher1", "CommWriteCipher2", "UsmAuthCipher",
        "UsmPrivCipher", "ConsolePwdCipher",
    ],
    "hp_comware": [
        "$c$3$Kd0nqXbXVCm0Jwcf8mVGyVFhPxY7Vx2g", "StcPrivate2024", "AuthCipherValueXyz",
        "PrivCipherValueXyz", "RadAuthKeyCipher", "RadAcctKeyCipher", "IkePskCipher",
        "SuperHashValueAbc", "$h$6$1ocRGU3qRLyqWUb8", "GuestPass2024",
    ],
}  # fmt: skip


def _raw(platform: str) -> str:
    return (DATA / platform / "running-config.txt").read_text()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_golden_configuration(platform: str) -> None:
    assert normalize(_raw(platform), platform) == (DATA / platform / "expected.cfg").read_text()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_no_secret_survives_and_each_is_marked(platform: str) -> None:
    raw, out = _raw(platform), normalize(_raw(platform), platform)
    for secret in SECRETS[platform]:
        assert secret in raw  # the list matches the input (or this test proves nothing)
        assert secret not in out, secret
    # One marker per secret-bearing line, the keyword before it kept.
    assert out.count(REDACTED) >= len(SECRETS[platform]) - 2  # two lines hold two values each


@pytest.mark.parametrize("platform", PLATFORMS)
def test_idempotent(platform: str) -> None:
    once = normalize(_raw(platform), platform)
    assert normalize(once, platform) == once


def test_ios_volatile_lines_go_and_two_fetches_compare_equal() -> None:
    first = _raw("cisco_ios")
    # The same device a minute later: saved to NVRAM, byte count and NTP drift moved.
    second = (
        first.replace("4187 bytes", "4190 bytes")
        .replace("09:14:52 ICT Tue Mar 5 2024", "10:01:07 ICT Tue Mar 5 2024")
        .replace("NVRAM config last updated at 09:15:03", "NVRAM config last updated at 10:02:00")
        .replace("ntp clock-period 36029056", "ntp clock-period 36029101")
        .replace("\n", "\r\n")
    )
    assert normalize(first, "cisco_ios") == normalize(second, "cisco_ios")
    out = normalize(first, "cisco_ios")
    for volatile in ("Building configuration", "Current configuration", "Last configuration",
                     "NVRAM config", "clock-period"):  # fmt: skip
        assert volatile not in out
    assert out.startswith("!\n!\nversion 15.2\n")  # the header comments gone, their ! stay
    assert out.endswith("line vty 0 4\n password 7 <redacted>\n transport input ssh\n!\nend\n")


def test_a_real_change_survives_normalisation() -> None:
    raw = _raw("cisco_ios")
    changed = raw.replace(
        "interface GigabitEthernet1/0/2\n switchport access vlan 10\n",
        "interface GigabitEthernet1/0/2\n switchport access vlan 20\n",
    )
    assert changed != raw
    assert normalize(changed, "cisco_ios") != normalize(raw, "cisco_ios")
    # A changed password shows as "changed" only through its keyword, never its value.
    rotated = raw.replace("RadKey!2024", "RadKey!2025")
    assert normalize(rotated, "cisco_ios") == normalize(raw, "cisco_ios")


def test_huawei_headers_software_version_kept_timestamps_dropped() -> None:
    out = normalize(_raw("huawei"), "huawei")
    assert out.startswith("!Software Version V200R019C10SPC500\n#\nsysname HW-STC-S5720\n")
    assert "!Last configuration" not in out
    assert out.endswith("#\nreturn\n")
    # VRP 8 with `timestamp enable` prints the time before every display's output.
    stamped = "2024-03-05 09:14:52.318 +07:00\n" + _raw("huawei")
    assert normalize(stamped, "huawei") == out


def test_comware_is_kept_as_is_apart_from_secrets() -> None:
    raw, out = _raw("hp_comware"), normalize(_raw("hp_comware"), "hp_comware")
    assert len(out.splitlines()) == len(raw.splitlines())
    unmarked = [line for line in out.splitlines() if REDACTED not in line]
    assert unmarked == [line for line in raw.splitlines() if line in unmarked]
    assert " version 7.1.070, Release 3506P06" in out


def test_strip_volatile_trims_blank_edges_and_trailing_blanks() -> None:
    assert strip_volatile("\n\nBuilding configuration...\n\nhostname a   \n!\n\n\n") == (
        "hostname a\n!\n"
    )
    assert strip_volatile("") == ""
    assert re.fullmatch(r"(.*\n)*", normalize("hostname a", "cisco_ios"))
