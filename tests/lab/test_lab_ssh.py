"""netmiko against the lab: the IOS-like CLI parsed by ntc-templates agrees with IF-MIB, its
`shutdown` acts on the real interface, and DC hosts give a Linux shell."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException

from tests.lab.conftest import Lab
from tests.waiting import wait_for

IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IN_PACKETS = ("1.3.6.1.2.1.31.1.1.1.7", "1.3.6.1.2.1.31.1.1.1.8", "1.3.6.1.2.1.31.1.1.1.9")
OUT_PACKETS = ("1.3.6.1.2.1.31.1.1.1.11", "1.3.6.1.2.1.31.1.1.1.12", "1.3.6.1.2.1.31.1.1.1.13")
IF_IN_ERRORS = "1.3.6.1.2.1.2.2.1.14"
IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"


def _ios(lab: Lab, host: str, password: str | None = None) -> ConnectHandler:
    return ConnectHandler(
        device_type="cisco_ios",
        host=host,
        port=2222,
        username="labops",
        password=password or lab.secret("ssh-password"),
        secret=lab.secret("enable-secret"),
        timeout=10,
        conn_timeout=10,
    )


def _index(lab: Lab, address: str, ifname: str) -> str:
    done = lab.snmp(address, IF_NAME, command="snmpwalk", version="2c")
    names = [line.strip('"') for line in done.stdout.splitlines()]
    return str(names.index(ifname) + 1)


def _packets(lab: Lab, address: str, index: str, columns: tuple[str, ...]) -> int:
    return sum(int(lab.snmp_value(address, f"{col}.{index}", version="2c")) for col in columns)


def _eventually(read: Callable[[], int], ok: Callable[[int], bool], timeout: float = 20) -> int:
    """snmpd serves interface data from a cache of a few seconds: read until it is fresh."""
    seen: list[int] = []

    def fresh() -> bool:
        seen.append(read())
        return ok(seen[-1])

    wait_for("a fresh IF-MIB value", fresh, timeout, every=0.5, describe=lambda: seen[-1:])
    return seen[-1]


def test_show_interfaces_parsed_by_textfsm_agrees_with_if_mib(lab: Lab) -> None:
    address = "198.18.100.1"
    index = _index(lab, address, "wan1")
    with _ios(lab, address) as conn:
        conn.enable()
        records = conn.send_command("show interfaces", use_textfsm=True)
    assert isinstance(records, list)
    wan1 = next(r for r in records if r["interface"] == "wan1")
    assert wan1["link_status"] == "up"
    assert wan1["protocol_status"] == "up"
    cli_in, cli_out = int(wan1["input_packets"]), int(wan1["output_packets"])
    # Both views read the same kernel counters. wan1 carries no test traffic, so once snmpd's
    # cache catches up the two agree up to the odd ARP packet.
    snmp_in = _eventually(lambda: _packets(lab, address, index, IN_PACKETS), lambda v: v >= cli_in)
    snmp_out = _eventually(
        lambda: _packets(lab, address, index, OUT_PACKETS), lambda v: v >= cli_out
    )
    assert cli_in <= snmp_in <= cli_in + 4
    assert cli_out <= snmp_out <= cli_out + 4
    assert int(wan1["input_errors"]) == int(lab.snmp_value(address, f"{IF_IN_ERRORS}.{index}"))
    assert {"wan1", "wan2", "wan3", "dc0", "up0", "mgmt0"} <= {r["interface"] for r in records}


def test_cli_shutdown_acts_on_the_real_interface(lab: Lab) -> None:
    address = "198.18.2.2"
    index = _index(lab, address, "lan0")

    def admin() -> int:
        return int(lab.snmp_value(address, f"{IF_ADMIN_STATUS}.{index}", version="2c"))

    with _ios(lab, address) as conn:
        conn.enable()
        try:
            conn.send_config_set(["interface lan0", "shutdown"])
            assert _eventually(admin, lambda v: v == 2) == 2
            brief = conn.send_command("show ip interface brief", use_textfsm=True)
            lan0 = next(r for r in brief if r["interface"] == "lan0")
            assert lan0["status"] == "administratively down"
        finally:  # the lab is shared: always restore
            conn.send_config_set(["interface lan0", "no shutdown"])
    assert _eventually(admin, lambda v: v == 1) == 1


def test_show_version_names_the_device(lab: Lab) -> None:
    with _ios(lab, "198.18.10.2") as conn:
        version = conn.send_command("show version", use_textfsm=True)
    assert version[0]["hostname"] == "sw-dc-core"


def test_wrong_password_is_an_authentication_failure(lab: Lab) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        _ios(lab, "198.18.1.2", password="not-the-password")


def test_dc_host_linux_shell_shows_its_own_disk(lab: Lab) -> None:
    with ConnectHandler(device_type="linux", host="198.18.10.6", username="labops",
                        password=lab.secret("ssh-password"), timeout=10) as conn:  # fmt: skip
        hostname = conn.send_command("hostname").strip()
        df = conn.send_command("df -P -B1M /mnt").splitlines()[-1].split()
    assert hostname == "dc-db-01"
    assert df[0] == "nwl-data"
    assert int(df[2]) == 52  # MiB used on this host's private tmpfs
