"""The inventory `lab up` writes is valid, and its credentials open the lab's real devices."""

from __future__ import annotations

import subprocess

from netwarden.inventory import load_inventory
from tests.lab.conftest import Lab


def _snmp_v3(address: str, user: str, auth: str, priv: str) -> str:
    done = subprocess.run(
        ["snmpget", "-v3", "-l", "authPriv", "-u", user, "-a", "SHA", "-A", auth, "-x", "AES",
         "-X", priv, "-Oqv", "-t", "1", "-r", "1", address, "1.3.6.1.2.1.1.5.0"],
        capture_output=True, text=True, timeout=10, check=True,
    )  # fmt: skip
    return done.stdout.strip().strip('"')


def test_lab_inventory_is_valid_and_its_secrets_open_every_snmp_device(lab: Lab) -> None:
    inventory = load_inventory([lab.state.inventory])
    assert inventory.counts()["links"] == 6
    v3 = inventory.credential("snmp-lab-v3").snmp
    assert v3 is not None and v3.auth is not None and v3.priv is not None and v3.user
    auth, priv = v3.auth.secret.reveal(), v3.priv.secret.reveal()
    nat_agent = "agent-p-phan-dinh-phung"
    polled = [d for d in inventory.devices if d.snmp and inventory.agent_of(d) != nat_agent]
    assert len(polled) == 6
    for device in polled:
        assert _snmp_v3(str(device.address), v3.user, auth, priv) == device.id
    # Every link endpoint names an interface the device really has.
    ifnames = {"core-rtr": {"wan1", "wan2", "wan3", "dc0"}, "sw-dc-core": {"wan0", "h-web", "h-db"}}
    for link in inventory.links:
        for end in (link.a, link.b):
            if end.device in ifnames:
                assert end.interface in ifnames[end.device]
