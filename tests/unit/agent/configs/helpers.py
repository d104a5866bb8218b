"""Builders shared by the config backup tests: targets, a fake-backed pool, lab-like outputs."""

from __future__ import annotations

from collections.abc import Mapping

from netwarden.agent.ssh.fake import FakeSshRunner
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.ssh.types import SshError, SshTarget

SHOW_RUN = "show running-config"


def target(device: str = "sw-a", platform: str = "cisco_ios") -> SshTarget:
    return SshTarget(device=device, host="198.18.2.2", port=2222, platform=platform,
                     username="labops", password=None, key_file=None, passphrase=None,
                     enable_secret=None, timeout=5.0)  # fmt: skip


def ios_config(hostname: str, *, shutdown: bool = False, size: int = 321) -> str:
    """`show running-config` as the lab's CLI prints it (header with a byte count)."""
    shut = " shutdown\n" if shutdown else ""
    return (
        f"Building configuration...\n\nCurrent configuration : {size} bytes\n!\n"
        f"version 15.9\n!\nhostname {hostname}\n!\nenable secret 9 $9$s3cr3tHash\n!\n"
        f"interface lan0\n ip address 198.18.2.2 255.255.255.0\n{shut}!\nend\n"
    )


def pool_of(
    outputs: Mapping[str, str | Mapping[str, str]], fail: Mapping[str, SshError] | None = None
) -> tuple[SshPool, FakeSshRunner]:
    runner = FakeSshRunner(outputs, fail=fail)
    return SshPool(runner, max_workers=4), runner


# Backed up every 10 s: the first backup comes within 1 s (a random phase of a tenth), the
# second long after a test has read the first. At 1 s, one device's first backup slowed by a
# loaded machine let another's second one come before the test read them all (and the
# fetch's deadline was 0.9 s).
INVENTORY = """\
province: p
agents: [{id: agent-a, site: a}, {id: agent-b, site: b}]
sites: [{id: a, kind: agency}, {id: b, kind: agency}]
credentials:
  ssh-lab: {ssh: {username: labops, password: "file:/nonexistent/ssh-password"}}
  ssh-env-key: {ssh: {username: labops, key: "env:NW_TEST_SSH_KEY"}}
devices:
- {id: sw-a, site: a, address: 198.18.2.2, role: switch,
   ssh: {credential: ssh-lab, platform: cisco_ios, port: 2222, backup_interval: 10s}}
- {id: rtr-a, site: a, address: 198.18.2.1, role: router,
   ssh: {credential: ssh-lab, platform: huawei, backup_interval: 10s}}
- {id: sw-quiet, site: a, address: 198.18.2.3, role: switch,
   ssh: {credential: ssh-lab, platform: cisco_ios, backup: false}}
- {id: host-a, site: a, address: 198.18.2.5, role: host,
   ssh: {credential: ssh-lab, platform: linux}}
- {id: fw-a, site: a, address: 198.18.2.6, role: firewall,
   ssh: {credential: ssh-lab, platform: juniper_junos, backup_interval: 10s}}
- {id: sw-key, site: a, address: 198.18.2.7, role: switch,
   ssh: {credential: ssh-env-key, platform: cisco_ios, backup_interval: 10s}}
- {id: cam-a, site: a, address: 198.18.2.50, role: camera}
- {id: sw-b, site: b, address: 198.18.3.2, role: switch,
   ssh: {credential: ssh-lab, platform: hp_comware}}
"""
