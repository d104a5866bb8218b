"""Bring the lab up and tear it down: namespaces, wires, residents, snmpd and sshd."""

from __future__ import annotations

import datetime as dt
import json
import secrets as pysecrets
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from netwarden.errors import LabError
from netwarden.hostport import format_hostport
from netwarden.lab import daemons, host, processes, readiness, system_tools
from netwarden.lab.inventory_file import build_inventory, write_inventory
from netwarden.lab.processes import Process
from netwarden.lab.state import LabState, LinkState, load, save
from netwarden.lab.topology import OFFLOADS, ROOT_IF, Device, Plan, build_plan

Progress = Callable[[str], None]
READY_TIMEOUT = 10.0


def _quiet(_: str) -> None:
    pass


def up(
    root: Path,
    *,
    agencies: int = 3,
    nat: int = 1,
    scale_devices: int = 0,
    big_ports: int = 0,
    say: Progress = _quiet,
) -> LabState:
    """Build the lab described by the arguments; a running lab is torn down first."""
    plan = build_plan(agencies, nat, scale_devices, big_ports)
    if load(root) is not None:
        say("a lab is running: tearing it down first")
        down(root, say=say)
    started = time.monotonic()
    _wait_root_link_gone()
    root.mkdir(parents=True, exist_ok=True)
    secrets = _make_secrets(root)
    state = LabState(
        params={
            "agencies": agencies,
            "nat": nat,
            "scale_devices": scale_devices,
            "big_ports": big_ports,
        },
        namespaces=list(plan.namespaces),
        started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    save(root, state)  # recorded before anything exists, so a failed `up` can be torn down
    try:
        say(f"creating {len(plan.namespaces)} namespaces and their links")
        _build_network(plan)
        state.links = {
            link.id: LinkState(link.ns, link.core_if, link.far_device) for link in plan.links
        }
        state.endpoints = {ep.id: (ep.ns, ep.ifname, ep.address) for ep in plan.endpoints}
        say(f"starting daemons on {len(plan.devices)} devices")
        _start_devices(root, plan, secrets, state)
        inventory = root / "inventory.yaml"
        write_inventory(build_inventory(plan, root / "secrets"), inventory)
        # The report drafts' settings beside it (collector serve --reporting): every lab
        # address is internal there, so none appears in a report.
        shutil.copyfile(Path(__file__).with_name("reporting.yaml"), root / "reporting.yaml")
        state.inventory = str(inventory)
        save(root, state)
    except BaseException:
        save(root, state)
        raise
    say(f"lab up in {time.monotonic() - started:.1f} s")
    return state


def down(root: Path, *, say: Progress = _quiet) -> bool:
    """Tear down what the record names; True if there was a lab. Safe to repeat."""
    state = load(root)
    if state is None:
        return False
    bridges = [link.bridge for link in state.links.values() if link.bridge]
    killed = processes.stop([*state.processes, *bridges])
    if killed:
        say(f"had to SIGKILL: {', '.join(killed)}")
    present = set(system_tools.run(["ip", "netns", "list"]).split())
    gone = [ns for ns in state.namespaces if ns in present]
    system_tools.ip_batch([f"netns delete {ns}" for ns in gone])
    _wait_root_link_gone()
    say(f"removed {len(gone)} namespaces and {len(state.processes) + len(bridges)} processes")
    shutil.rmtree(root, ignore_errors=True)
    return True


def _wait_root_link_gone(timeout: float = 10.0) -> None:
    """The kernel frees a deleted namespace's interfaces asynchronously; the root end of the
    core link must be gone before a new `up` can create it again."""
    deadline = time.monotonic() + timeout
    while Path("/sys/class/net", ROOT_IF).exists():
        if time.monotonic() > deadline:
            raise LabError(f"interface {ROOT_IF} still exists {timeout:.0f} s after teardown")
        time.sleep(0.02)


def _make_secrets(root: Path) -> daemons.LabSecrets:
    """Fresh random credentials for every `up`, stored as files only root can read."""
    values = daemons.LabSecrets(*(pysecrets.token_hex(12) for _ in range(5)))
    folder = root / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    names = ("snmp-community", "snmp-auth", "snmp-priv", "ssh-password", "enable-secret")
    for name, value in zip(names, vars(values).values(), strict=True):
        path = folder / name
        path.write_text(value + "\n")
        path.chmod(0o600)
    return values


def _build_network(plan: Plan) -> None:
    system_tools.ip_batch(plan.root_batch)
    for (ns, ifname), alias in plan.aliases.items():
        plan.ns_batch[ns].append(f'link set {ifname} alias "{alias}"')
    for ns in plan.namespaces:
        system_tools.ip_batch(plan.ns_batch[ns], ns)
    for ns in plan.namespaces:
        # IPv4 only: without IPv6 autoconfiguration chatter, a quiet link's counters stay still.
        script = [
            "echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range",
            "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6",
            "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6",
        ]
        script += _ipv6_on(plan.ipv6.get(ns, []))
        if ns in plan.forwarding:
            script.append("echo 1 > /proc/sys/net/ipv4/ip_forward")
        offs = " ".join(f"{o} off" for o in OFFLOADS)
        script += [
            f"ethtool -K {ifname} {offs} 2>/dev/null" for ifname in plan.offload_off.get(ns, [])
        ]
        system_tools.in_ns(ns, "\n".join(script))
    for ns, ruleset in plan.nft.items():
        system_tools.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], stdin=ruleset)
    for ns, addresses in plan.ipv6.items():
        # nodad: usable at once, so the daemons can bind them (no tentative second).
        lines = [f"address add {address} dev {ifname} nodad" for ifname, address in addresses]
        system_tools.ip_batch(lines, ns)


def _ipv6_on(addresses: list[tuple[str, str]]) -> list[str]:
    """Shell lines that switch IPv6 back on for these interfaces only, without router
    solicitations or autoconfiguration (nothing on the lab sends router advertisements)."""
    lines = []
    for ifname in dict.fromkeys(ifname for ifname, _ in addresses):
        conf = f"/proc/sys/net/ipv6/conf/{ifname}"
        lines += [f"echo 0 > {conf}/accept_ra", f"echo 0 > {conf}/autoconf"]
        lines.append(f"echo 0 > {conf}/disable_ipv6")
    return lines


def _device_dir(root: Path, device: Device) -> daemons.DevicePaths:
    paths = daemons.DevicePaths(root / "devices" / device.id)
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.snmp_persist.mkdir(exist_ok=True)
    return paths


def _resident_argv(plan: Plan, device: Device, paths: daemons.DevicePaths, root: Path) -> list[str]:
    argv = [
        "ip",
        "netns",
        "exec",
        device.ns,
        "unshare",
        "--uts",
        "--mount",
        "--propagation",
        "private",
        "--",
        sys.executable,
        "-m",
        "netwarden.lab.resident",
        "--hostname",
        device.hostname,
        "--control",
        str(paths.control),
        "--group",
        daemons.SSH_USER,
    ]
    if device.tmpfs_mb:
        argv += ["--tmpfs-mb", str(device.tmpfs_mb), "--fill-mb", str(device.fill_mb)]
    for ep in plan.endpoints:
        if ep.ns == device.ns:
            argv += ["--tcp", format_hostport(ep.address, ep.port)]
    for ns, address, port, cert in plan.portals:
        if ns == device.ns:
            where = format_hostport(address, port)
            argv += ["--https", f"{where},{root / cert}.crt,{root / cert}.key"]
    return argv


def _aliases_by_index(plan: Plan, ns: str) -> dict[int, str | bytes]:
    """ifIndex -> alias for the aliased interfaces of ``ns`` (net-snmp's ifIndex = ifindex)."""
    wanted: dict[str, str | bytes] = {
        ifname: alias for (where, ifname), alias in plan.aliases.items() if where == ns
    }
    wanted.update({i: raw for (where, i), raw in plan.raw_aliases.items() if where == ns})
    if not wanted:
        return {}
    links = json.loads(system_tools.run(["ip", "-n", ns, "-j", "link", "show"]))
    return {link["ifindex"]: wanted[link["ifname"]] for link in links if link["ifname"] in wanted}


def _start_devices(root: Path, plan: Plan, secrets: daemons.LabSecrets, state: LabState) -> None:
    host.prepare(root, secrets)
    residents: list[tuple[Device, daemons.DevicePaths, Process]] = []
    for device in plan.devices:
        paths = _device_dir(root, device)
        argv = _resident_argv(plan, device, paths, root)
        proc = processes.start(f"resident {device.id}", argv, paths.resident_log)
        state.processes.append(proc)
        residents.append((device, paths, proc))
    save(root, state)
    readiness.wait_residents(residents, READY_TIMEOUT)
    daemons_started: list[tuple[Device, Process, str, tuple[str, ...]]] = []
    site_names = {site.id: site.name for site in plan.sites}
    for device, paths, resident in residents:
        enter = ["nsenter", "-t", str(resident.pid), "-u", "-m", "-n", "--"]
        aliases = _aliases_by_index(plan, device.ns)
        location = site_names.get(device.site, device.site)
        paths.snmpd_conf.write_text(daemons.snmpd_config(device, secrets, location, aliases))
        snmpd = processes.start(
            f"snmpd {device.id}",
            enter + daemons.snmpd_argv(device, paths),
            paths.snmpd_log,
            env={"SNMP_PERSISTENT_DIR": str(paths.snmp_persist), "MIBS": ""},
        )
        state.processes.append(snmpd)
        snmp_on: tuple[str, ...] = (device.snmp_listen,)
        if device.address6:
            snmp_on += (f"udp:{format_hostport(device.address6, 161)}",)
        daemons_started.append((device, snmpd, "udp", snmp_on))
        if device.ssh_ports:
            paths.sshd_conf.write_text(
                daemons.sshd_config(
                    device,
                    paths,
                    root / "ssh_host_ed25519_key",
                    root / "enable-secret",
                    root / "pylib",
                )
            )
            sshd = processes.start(
                f"sshd {device.id}", enter + daemons.sshd_argv(paths), paths.sshd_log
            )
            state.processes.append(sshd)
            ports = tuple(
                format_hostport(a, p) for a in device.listen_addresses() for p in device.ssh_ports
            )
            daemons_started.append((device, sshd, "tcp", ports))
    save(root, state)
    readiness.wait_listening(daemons_started, READY_TIMEOUT)
