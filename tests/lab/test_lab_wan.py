"""`lab fault` and `lab impair` change the WAN for real, as the devices and a ping see it."""

from __future__ import annotations

import re
import subprocess
import time

from netwarden.lab import wan
from tests.lab.conftest import Lab
from tests.waiting import wait_for

IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"


def _if_index(lab: Lab, address: str, ifname: str, ns: str | None = None) -> str:
    done = lab.snmp(address, IF_NAME, command="snmpwalk", version="2c", ns=ns)
    names = [line.strip('"') for line in done.stdout.split("\n") if line]
    return str(names.index(ifname) + 1) if ifname in names else ""


def _wait_oper(lab: Lab, address: str, index: str, want: str, timeout: float = 20) -> float:
    """Seconds until ifOperStatus.index reads ``want`` (snmpd caches its table a few s)."""
    start = time.monotonic()
    oid = f"{IF_OPER_STATUS}.{index}"
    wait_for(f"ifOperStatus.{index} on {address} == {want}",
             lambda: lab.snmp_value(address, oid, version="2c") == want, timeout)  # fmt: skip
    return time.monotonic() - start


def _ping(target: str, count: int, interval: float) -> tuple[float, float]:
    """(loss %, average RTT ms) of ``count`` pings."""
    done = subprocess.run(
        ["ping", "-q", "-c", str(count), "-i", str(interval), "-W", "1", target],
        capture_output=True, text=True, timeout=count * interval + 30, check=False,
    )  # fmt: skip
    loss = float(re.search(r"([\d.]+)% packet loss", done.stdout).group(1))  # type: ignore[union-attr]
    rtt = re.search(r"= [\d.]+/([\d.]+)/", done.stdout)
    return loss, float(rtt.group(1)) if rtt else float("nan")


def test_fault_down_cuts_both_ends_and_up_restores(lab: Lab) -> None:
    index = _if_index(lab, "198.18.100.1", "wan1")
    _wait_oper(lab, "198.18.100.1", index, "1")
    wan.fault(lab.root, "tsl-so-khcn", down=True)
    try:
        _wait_oper(lab, "198.18.100.1", index, "2")
        # The admin state is untouched: this is a cut, not a shutdown.
        assert lab.snmp_value("198.18.100.1", f"{IF_ADMIN_STATUS}.{index}", version="2c") == "1"
        assert _ping("198.18.1.2", 3, 0.2)[0] == 100.0
        assert _ping("198.18.2.2", 3, 0.2)[0] == 0.0  # other agencies are unaffected
    finally:
        wan.fault(lab.root, "tsl-so-khcn", down=False)
    _wait_oper(lab, "198.18.100.1", index, "1")
    wait_for("the agency answering again", lambda: _ping("198.18.1.2", 3, 0.2)[0] == 0.0, 20)


def _settled(target: str) -> None:
    """A first reply across a freshly swapped bridge (ARP re-resolves; the swap loses a few)."""
    wait_for(f"a ping reply from {target}", lambda: _ping(target, 1, 0.2)[0] == 0.0, 20)


def test_impair_delay_and_loss_are_what_a_ping_sees(lab: Lab) -> None:
    base_loss, base_rtt = _ping("198.18.2.2", 10, 0.05)
    assert base_loss == 0.0 and base_rtt < 10
    try:
        wan.impair(lab.root, "tsl-so-tc", delay_ms=60, loss_pct=0, jitter_ms=0)
        _settled("198.18.2.2")
        loss, rtt = _ping("198.18.2.2", 20, 0.05)
        assert loss == 0.0
        # The bridge is a user-space process: on a loaded machine it adds its wait for a core.
        assert 55 <= rtt <= 100
        wan.impair(lab.root, "tsl-so-tc", delay_ms=0, loss_pct=20, jitter_ms=0)
        _settled("198.18.2.2")
        loss, _ = _ping("198.18.2.2", 600, 0.005)
        assert 14 <= loss <= 26
    finally:
        wan.impair(lab.root, "tsl-so-tc", delay_ms=0, loss_pct=0, jitter_ms=0)
    _settled("198.18.2.2")
    assert _ping("198.18.2.2", 10, 0.05)[0] == 0.0
    assert lab.snmp_value("198.18.2.2", "1.3.6.1.2.1.1.5.0") == "sw-so-tc-core"
