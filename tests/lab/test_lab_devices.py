"""The lab's devices answer as real devices do: SNMP v2c/v3, NAT, DC hosts, portal, endpoints."""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import urllib.request

import pytest

from tests.lab.conftest import Lab

SYS_NAME = "1.3.6.1.2.1.1.5.0"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
HR_STORAGE_DESCR = "1.3.6.1.2.1.25.2.3.1.3"
HR_STORAGE_USED = "1.3.6.1.2.1.25.2.3.1.6"

ROUTED = {
    "core-rtr": "198.18.100.1",
    "sw-so-khcn-core": "198.18.1.2",
    "sw-so-tc-core": "198.18.2.2",
    "sw-dc-core": "198.18.10.2",
    "dc-web-01": "198.18.10.5",
    "dc-db-01": "198.18.10.6",
}


def test_every_routed_device_answers_v2c_and_v3_with_its_own_name(lab: Lab) -> None:
    for name, address in ROUTED.items():
        assert lab.snmp_value(address, SYS_NAME, version="3") == name
        assert lab.snmp_value(address, SYS_NAME, version="2c") == name


def test_wrong_v3_key_is_an_authentication_failure_not_a_timeout(lab: Lab) -> None:
    done = lab.snmp("198.18.1.2", SYS_NAME, auth="not-the-key-123")
    assert done.returncode != 0
    assert "Authentication failure" in done.stderr


def test_wrong_community_gets_no_answer(lab: Lab) -> None:
    done = subprocess.run(
        ["snmpget", "-v2c", "-c", "wrong", "-t", "0.5", "-r", "0", "198.18.1.2", SYS_NAME],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    assert "Timeout" in done.stdout + done.stderr


def _walk(lab: Lab, address: str, oid: str, *, hex_strings: bool = False) -> dict[str, str]:
    """Last sub-identifier -> value, from net-snmp's snmpwalk (the reference client)."""
    flags = ["-On", "-Oq", *(["-Ox"] if hex_strings else [])]
    done = subprocess.run(
        ["snmpwalk", "-v2c", "-c", lab.secret("snmp-community"), *flags, address, oid],
        capture_output=True, text=True, timeout=20, check=True,
    )  # fmt: skip
    rows: dict[str, str] = {}
    key = ""
    for line in done.stdout.splitlines():
        if line.startswith("."):
            oid, _, value = line.partition(" ")
            key = oid.rsplit(".", 1)[1]
            rows[key] = value.strip('"')
        elif key:  # long hex strings continue on the next lines
            rows[key] += " " + line.strip()
    return rows


def test_agency_wan_interface_carries_a_utf8_vietnamese_alias(lab: Lab) -> None:
    names = _walk(lab, "198.18.1.2", IF_NAME)
    index = next(i for i, name in names.items() if name == "wan0")
    raw = _walk(lab, "198.18.1.2", IF_ALIAS, hex_strings=True)[index]
    alias = bytes.fromhex(re.sub("[^0-9A-Fa-f]", "", raw)).decode("utf-8")
    assert alias == "Kết nối TSLCD tới lõi — Sở Khoa học và Công nghệ"


def test_dc_hosts_have_their_own_disk_usage_in_host_resources(lab: Lab) -> None:
    used = {}
    for host in ("198.18.10.5", "198.18.10.6"):
        descr = _walk(lab, host, HR_STORAGE_DESCR)
        index = next(i for i, d in descr.items() if d == "/mnt")
        used[host] = int(_walk(lab, host, HR_STORAGE_USED)[index])
    # 20 MiB and 52 MiB written into 4 KiB blocks of each host's private tmpfs.
    assert used["198.18.10.5"] == 20 * 256
    assert used["198.18.10.6"] == 52 * 256


def test_agency_behind_nat_is_unreachable_from_outside_but_reaches_out(lab: Lab) -> None:
    nat_ns = "nwl-a3"
    with socket.socket() as sock:
        sock.settimeout(1)
        assert sock.connect_ex(("198.19.3.2", 22)) != 0  # its WAN address refuses connections
    done = lab.snmp("198.18.3.2", SYS_NAME, version="2c")
    assert done.returncode != 0  # its LAN is not routed from the core
    outbound = subprocess.run(
        ["ip", "netns", "exec", nat_ns, "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
         "--max-time", "5", "https://198.18.10.5/"],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    assert outbound.stdout == "200"
    # Inside, its own switch answers on the reused range (addresses are unique per agent only).
    assert lab.snmp_value("198.18.1.2", SYS_NAME, ns=nat_ns) == "sw-p-phan-dinh-phung-core"


def test_portal_serves_https_with_a_self_signed_certificate(lab: Lab) -> None:
    with urllib.request.urlopen("https://198.18.10.5/", timeout=5, context=_no_verify()) as resp:
        assert resp.status == 200
        assert "Cổng dịch vụ công" in resp.read().decode()
    strict = ssl.create_default_context()
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen("https://198.18.10.5/", timeout=5, context=strict)


def _no_verify() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def test_endpoints_answer_icmp_and_their_tcp_port(lab: Lab) -> None:
    for address, port in (("198.18.1.50", 554), ("198.18.1.60", 80), ("198.18.2.70", 5060)):
        ping = subprocess.run(["ping", "-c", "1", "-W", "1", address], capture_output=True,
                              timeout=5, check=False)  # fmt: skip
        assert ping.returncode == 0, address
        with socket.create_connection((address, port), timeout=2):
            pass


def test_portal_certificates_differ_only_in_validity(lab: Lab) -> None:
    import datetime as dt

    from cryptography import x509

    now = dt.datetime.now(dt.UTC)
    left = {}
    for port in (443, 8443, 9443):
        pem = ssl.get_server_certificate(("198.18.10.5", port), timeout=5)
        cert = x509.load_pem_x509_certificate(pem.encode())
        left[port] = (cert.not_valid_after_utc - now).total_seconds() / 86400
    assert 89.9 < left[443] <= 90
    assert 4.9 < left[8443] <= 5
    assert -3.1 < left[9443] <= -2.9


def test_an_endpoint_can_be_stopped_and_restarted(lab: Lab) -> None:
    from netwarden.lab import wan

    wan.fault(lab.root, "cam-so-khcn", down=True)
    try:
        with socket.socket() as sock:
            sock.settimeout(1)
            assert sock.connect_ex(("198.18.1.50", 554)) != 0
        ping = subprocess.run(["ping", "-c", "1", "-W", "1", "198.18.1.50"], capture_output=True,
                              timeout=5, check=False)  # fmt: skip
        assert ping.returncode != 0
    finally:
        wan.fault(lab.root, "cam-so-khcn", down=False)
    with socket.create_connection(("198.18.1.50", 554), timeout=2):
        pass
