"""The lab's plan: namespaces, wires, addresses, daemons and endpoints, computed without I/O.

Addressing (only 198.18.0.0/15, the benchmarking range, so nothing can leak to a real network):

* root namespace ``nwl-up`` 198.19.255.1/30 <-> core ``up0`` 198.19.255.2/30; the root namespace
  routes 198.18.0.0/15 to the core, so tests reach every routed lab address;
* core router management 198.18.100.1 on ``mgmt0``;
* agency i: WAN 198.19.i.0/30 (core ``wan<i>`` .1, agency ``wan0`` .2) through a link
  namespace ``nwl-l<i>`` (veth ends ``tocore``/``tofar`` on a kernel bridge, which the
  impairment bridge replaces while the link is impaired);
  LAN 198.18.<octet>.0/24 with the agency switch at .2, camera .50, Wi-Fi AP .60, VC .70;
* a camera group (a site of its own, without an agent) has its camera at .51 on agency 2's
  LAN, polled by agency 2's agent: its series must keep the camera's site, not the agent's;
* agencies behind NAT reuse agency 1's LAN range (agencies do that behind NAT) and the core has
  no route to them: only outbound connections work;
* data centre: WAN 198.19.254.0/30 via ``nwl-ldc``; LAN 198.18.10.0/24 on a bridge, switch .2,
  hosts ``dc-web-01`` .5 (HTTPS portal) and ``dc-db-01`` .6, each a namespace of its own;
  the one link with IPv6: the DC LAN also carries 2001:2:0:10::/64 (RFC 5180's benchmarking
  range 2001:2::/48, the twin of 198.18.0.0/15), bridge ::1, switch ::2, hosts ::5 and ::6,
  reachable from inside the DC namespaces only (IPv6 is off everywhere else);
* scale mode: ``nwl-scale`` behind core ``sc0`` (198.19.253.0/30) answers for N addresses from
  198.18.128.0/17 with one snmpd.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from dataclasses import dataclass, field

from netwarden.errors import UsageError
from netwarden.lab.names import agency

PREFIX = "nwl-"
ROOT_IF = "nwl-up"
CORE_NS = f"{PREFIX}core"
DC_NS = f"{PREFIX}dc"
SCALE_NS = f"{PREFIX}scale"
STUB_NS = f"{PREFIX}stubs"  # holds the far ends of "dummy" interfaces (no dummy driver here)
MAX_AGENCIES = 120
MAX_SCALE_DEVICES = 30000
SCALE_PORTS = 48
BIG_NS = f"{PREFIX}big"
MAX_BIG_PORTS = 4096
OFFLOADS = ("tx", "tso", "gso", "gro")
DC_LAN6 = "2001:2:0:10::"  # the DC LAN's IPv6 /64; host n is DC_LAN6 + n (hexadecimal)
LAB_RANGE6 = "2001:2::/48"  # RFC 5180: every IPv6 address of the lab is from here


@dataclass(frozen=True)
class Device:
    """A simulated device: one namespace with its own snmpd (and sshd where it has SSH)."""

    id: str
    ns: str
    site: str
    address: str
    role: str
    hostname: str
    snmp_listen: str
    ssh_ports: tuple[int, ...] = (22,)
    ios_cli: bool = False
    tmpfs_mb: int = 0  # DC hosts: a private tmpfs on /mnt so each host's disk usage differs
    fill_mb: int = 0
    address6: str = ""  # on the IPv6 link: snmpd and sshd listen here too

    def listen_addresses(self) -> tuple[str, ...]:
        return (self.address, self.address6) if self.address6 else (self.address,)


@dataclass(frozen=True)
class Endpoint:
    """A camera, Wi-Fi AP or VC endpoint: an address on its own dummy interface + a TCP port."""

    id: str
    ns: str
    site: str
    ifname: str
    address: str
    port: int
    role: str
    agent: str | None = None  # the agent that polls it, when its site has none of its own


@dataclass(frozen=True)
class Link:
    """A WAN link of the dedicated data network, impairable in its own link namespace."""

    id: str
    ns: str
    core_if: str
    far_device: str
    far_if: str


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    kind: str
    nat: bool = False
    # Where the site's agent serves /metrics (the demo and the fleet test run it there): its
    # namespace's management address, not the WAN address it reaches the collector from, so
    # the inventory lists it in agents[].advertise.
    agent_address: str | None = None

    @property
    def has_agent(self) -> bool:
        """Camera groups and hotspots have no box of their own: an agency's agent polls them."""
        return self.kind not in ("camera-group", "hotspot")


CAMERA_GROUP = Site("cam-qt-vo-nguyen-giap", "Cụm camera Quảng trường Võ Nguyên Giáp",
                    "camera-group")  # fmt: skip
CAMERA_GROUP_AGENCY = 2  # the first routable agency whose LAN no test sweeps


@dataclass
class Plan:
    """Everything ``lab up`` creates, in creation order."""

    agencies: int
    nat: int
    scale_devices: int
    namespaces: list[str] = field(default_factory=list)
    root_batch: list[str] = field(default_factory=list)  # `ip -batch` lines run in the root ns
    ns_batch: dict[str, list[str]] = field(default_factory=dict)  # per-namespace `ip` lines
    forwarding: list[str] = field(default_factory=list)  # namespaces that route
    offload_off: dict[str, list[str]] = field(default_factory=dict)
    nft: dict[str, str] = field(default_factory=dict)  # namespace -> nftables ruleset
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)  # (ns, if) -> ifAlias
    # ifAlias bytes that are not UTF-8 (an older switch configured in Windows-1258), to prove
    # one odd alias never costs a device its metrics.
    raw_aliases: dict[tuple[str, str], bytes] = field(default_factory=dict)
    sites: list[Site] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    # HTTPS portals: (namespace, address, port, certificate name). Certificates: "portal" is
    # valid for 90 days, "portal-expiring" for 5 more days, "portal-expired" ended 3 days ago.
    portals: list[tuple[str, str, int, str]] = field(default_factory=list)
    scale_addresses: list[str] = field(default_factory=list)
    big_ports: int = 0
    stubs: int = 0
    # namespace -> [(interface, address/prefix)]: IPv6 is enabled on these interfaces only,
    # after it was switched off everywhere (their addresses skip duplicate detection).
    ipv6: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add_ns(self, name: str) -> list[str]:
        self.namespaces.append(name)
        self.root_batch.append(f"netns add {name}")
        return self.ns_batch.setdefault(name, ["link set lo up"])

    def veth(self, a: str, ns_a: str | None, b: str, ns_b: str) -> None:
        where_a = f" netns {ns_a}" if ns_a else ""
        self.root_batch.append(f"link add name {a}{where_a} type veth peer name {b} netns {ns_b}")

    def dummy(self, ns: str, name: str) -> None:
        """An always-up interface: this kernel has no dummy driver, so a veth whose peer is
        parked (up) in the stub namespace, which keeps device interface tables clean."""
        self.stubs += 1
        peer = f"s{self.stubs}"
        self.root_batch.append(
            f"link add name {name} netns {ns} type veth peer name {peer} netns {STUB_NS}"
        )
        self.ns_batch[STUB_NS].append(f"link set {peer} up")


def lan_octet(index: int) -> int:
    """Third octet of agency ``index``'s LAN, skipping the DC (10) and the core (100)."""
    octet = index
    for reserved in (10, 100):
        if octet >= reserved:
            octet += 1
    return octet


def build_plan(agencies: int = 3, nat: int = 1, scale_devices: int = 0, big_ports: int = 0) -> Plan:
    """Plan a lab of ``agencies`` agency LANs (the last ``nat`` of them behind NAT), plus
    ``scale_devices`` simulated devices and one device with ``big_ports`` ports if asked."""
    if not 1 <= agencies <= MAX_AGENCIES:
        raise UsageError(f"--agencies must be between 1 and {MAX_AGENCIES}, got {agencies}")
    if not 0 <= nat < agencies:
        raise UsageError(f"--nat must be between 0 and {agencies - 1} (agencies - 1), got {nat}")
    if not 0 <= scale_devices <= MAX_SCALE_DEVICES:
        raise UsageError(f"--scale-devices must be between 0 and {MAX_SCALE_DEVICES}")
    if not 0 <= big_ports <= MAX_BIG_PORTS:
        raise UsageError(f"--big-device-ports must be between 0 and {MAX_BIG_PORTS}")
    plan = Plan(agencies=agencies, nat=nat, scale_devices=scale_devices, big_ports=big_ports)
    plan.add_ns(STUB_NS)
    _plan_core(plan)
    for index in range(1, agencies + 1):
        _plan_agency(plan, index, behind_nat=index > agencies - nat)
    _plan_datacentre(plan)
    if scale_devices:
        _plan_scale(plan, scale_devices)
    if big_ports:
        _plan_big(plan, big_ports)
    return plan


def _plan_core(plan: Plan) -> None:
    core = plan.add_ns(CORE_NS)
    plan.forwarding.append(CORE_NS)
    plan.sites.append(
        Site("core", "Mạng truyền số liệu chuyên dùng — lõi", "core", agent_address="198.18.100.1")
    )
    plan.veth(ROOT_IF, None, "up0", CORE_NS)
    plan.root_batch += [
        f"address add 198.19.255.1/30 dev {ROOT_IF}",
        f"link set {ROOT_IF} up",
        "route add 198.18.0.0/15 via 198.19.255.2",
    ]
    plan.dummy(CORE_NS, "mgmt0")
    core += [
        "address add 198.19.255.2/30 dev up0",
        "link set up0 up",
        "address add 198.18.100.1/32 dev mgmt0",
        "link set mgmt0 up",
        "route add default via 198.19.255.1",
    ]
    plan.devices.append(
        Device("core-rtr", CORE_NS, "core", "198.18.100.1", "router", "core-rtr",
               "udp:198.18.100.1:161", ssh_ports=(22, 2222), ios_cli=True)
    )  # fmt: skip


def _plan_wan(plan: Plan, link_id: str, link_ns: str, core_if: str, far: tuple[str, str]) -> None:
    """A core interface -> link namespace (bridge c<->a) -> far namespace ``wan0``."""
    far_ns, far_device = far
    link = plan.add_ns(link_ns)
    plan.veth(core_if, CORE_NS, "tocore", link_ns)
    plan.veth("tofar", link_ns, "wan0", far_ns)
    link += [
        "link add br0 type bridge",
        "link set dev tocore master br0",
        "link set dev tofar master br0",
        "link set dev tocore up",
        "link set dev tofar up",
        "link set br0 up",
    ]
    # The impairment bridge needs checksums done in software; switching offloads off on all
    # four ends now keeps the path identical whether or not the link is impaired.
    plan.offload_off.setdefault(CORE_NS, []).append(core_if)
    plan.offload_off.setdefault(link_ns, []).extend(["tocore", "tofar"])
    plan.offload_off.setdefault(far_ns, []).append("wan0")
    plan.links.append(Link(link_id, link_ns, core_if, far_device, "wan0"))


def _plan_agency(plan: Plan, index: int, *, behind_nat: bool) -> None:
    site_id, name = agency(index)
    ns = f"{PREFIX}a{index}"
    octet = lan_octet(1 if behind_nat else index)
    lan = f"198.18.{octet}"
    core_if = f"wan{index}"
    switch = f"sw-{site_id}-core"
    plan.sites.append(Site(site_id, name, "agency", nat=behind_nat, agent_address=f"{lan}.2"))
    box = plan.add_ns(ns)
    plan.forwarding.append(ns)
    _plan_wan(plan, f"tsl-{site_id}", f"{PREFIX}l{index}", core_if, (ns, switch))
    plan.ns_batch[CORE_NS] += [
        f"address add 198.19.{index}.1/30 dev {core_if}",
        f"link set {core_if} up",
    ]
    if not behind_nat:
        plan.ns_batch[CORE_NS].append(f"route add {lan}.0/24 via 198.19.{index}.2")
    plan.dummy(ns, "lan0")
    box += [
        f"address add 198.19.{index}.2/30 dev wan0",
        "link set wan0 up",
        f"address add {lan}.2/24 dev lan0",
        "link set lan0 up",
        f"route add default via 198.19.{index}.1",
    ]
    plan.aliases[(ns, "wan0")] = f"Kết nối TSLCD tới lõi — {name}"
    plan.aliases[(CORE_NS, core_if)] = f"TSLCD → {name}"
    if index == 2:
        # Windows-1258 writes Vietnamese as base letters plus combining tone marks (NFD).
        plan.raw_aliases[(ns, "vc0")] = unicodedata.normalize("NFD", "Phòng họp").encode("cp1258")
    plan.devices.append(
        Device(switch, ns, site_id, f"{lan}.2", "switch", switch, f"udp:{lan}.2:161",
               ssh_ports=(22, 2222), ios_cli=True)
    )  # fmt: skip
    for ifname, host, port, role, kind in (
        ("cam0", 50, 554, "camera", "cam"),
        ("ap0", 60, 80, "ap", "ap"),
        ("vc0", 70, 5060, "vc-endpoint", "vc"),
    ):
        plan.dummy(ns, ifname)
        box += [f"address add {lan}.{host}/32 dev {ifname}", f"link set {ifname} up"]
        plan.endpoints.append(
            Endpoint(f"{kind}-{site_id}", ns, site_id, ifname, f"{lan}.{host}", port, role)
        )
    if index == CAMERA_GROUP_AGENCY and not behind_nat:
        _plan_camera_group(plan, ns, lan, f"agent-{site_id}")
    if behind_nat:
        plan.nft[ns] = _nat_ruleset(f"{lan}.0/24")


def _plan_camera_group(plan: Plan, ns: str, lan: str, agent: str) -> None:
    """The camera group's site, and its one camera at .51 on the agency's LAN."""
    plan.sites.append(CAMERA_GROUP)
    plan.dummy(ns, "cam1")
    plan.ns_batch[ns] += [f"address add {lan}.51/32 dev cam1", "link set cam1 up"]
    plan.endpoints.append(Endpoint(f"{CAMERA_GROUP.id}-01", ns, CAMERA_GROUP.id, "cam1",
                                   f"{lan}.51", 554, "camera", agent))  # fmt: skip


def _nat_ruleset(lan: str) -> str:
    """Masquerade the LAN out of wan0 and refuse every connection that starts outside."""
    return f"""table inet nwl_nat {{
  chain input {{
    type filter hook input priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    iifname "wan0" drop
  }}
  chain forward {{
    type filter hook forward priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    iifname "wan0" drop
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" ip saddr {lan} masquerade
  }}
}}
"""


def _plan_datacentre(plan: Plan) -> None:
    plan.sites.append(
        Site("dc", "Trung tâm dữ liệu tỉnh", "datacentre", agent_address="198.18.10.1")
    )
    dc = plan.add_ns(DC_NS)
    plan.forwarding.append(DC_NS)
    _plan_wan(plan, "tsl-dc", f"{PREFIX}ldc", "dc0", (DC_NS, "sw-dc-core"))
    plan.ns_batch[CORE_NS] += [
        "address add 198.19.254.1/30 dev dc0",
        "link set dc0 up",
        "route add 198.18.10.0/24 via 198.19.254.2",
    ]
    dc += [
        "address add 198.19.254.2/30 dev wan0",
        "link set wan0 up",
        "link add br0 type bridge",
        "address add 198.18.10.1/24 dev br0",
        "address add 198.18.10.2/24 dev br0",
        "link set br0 up",
        "route add default via 198.19.254.1",
    ]
    plan.ipv6[DC_NS] = [("br0", f"{DC_LAN6}1/64"), ("br0", f"{DC_LAN6}2/64")]
    plan.aliases[(DC_NS, "wan0")] = "Kết nối TSLCD tới lõi — Trung tâm dữ liệu"
    plan.devices.append(
        Device("sw-dc-core", DC_NS, "dc", "198.18.10.2", "switch", "sw-dc-core",
               "udp:198.18.10.2:161", ssh_ports=(22, 2222), ios_cli=True,
               address6=f"{DC_LAN6}2")
    )  # fmt: skip
    for short, host, tmpfs_mb, fill_mb in (("web", 5, 64, 20), ("db", 6, 64, 52)):
        ns = f"{PREFIX}dc-{short}"
        hostname = f"dc-{short}-01"
        box = plan.add_ns(ns)
        plan.veth(f"h-{short}", DC_NS, "eth0", ns)
        dc += [f"link set h-{short} master br0", f"link set h-{short} up"]
        box += [
            f"address add 198.18.10.{host}/24 dev eth0",
            "link set eth0 up",
            "route add default via 198.18.10.1",
        ]
        plan.ipv6[ns] = [("eth0", f"{DC_LAN6}{host:x}/64")]
        plan.devices.append(
            Device(hostname, ns, "dc", f"198.18.10.{host}", "host", hostname,
                   f"udp:198.18.10.{host}:161", tmpfs_mb=tmpfs_mb, fill_mb=fill_mb,
                   address6=f"{DC_LAN6}{host:x}")
        )  # fmt: skip
    for port, cert in ((443, "portal"), (8443, "portal-expiring"), (9443, "portal-expired")):
        for address in ("198.18.10.5", f"{DC_LAN6}5"):
            plan.portals.append((f"{PREFIX}dc-web", address, port, cert))


def _plan_scale(plan: Plan, count: int) -> None:
    plan.sites.append(Site("scale", "Thiết bị mô phỏng (chế độ quy mô)", "agency"))
    box = plan.add_ns(SCALE_NS)
    plan.veth("sc0", CORE_NS, "wan0", SCALE_NS)
    plan.ns_batch[CORE_NS] += [
        "address add 198.19.253.1/30 dev sc0",
        "link set sc0 up",
        "route add 198.18.128.0/17 via 198.19.253.2",
    ]
    plan.dummy(SCALE_NS, "sim0")
    box += [
        "address add 198.19.253.2/30 dev wan0",
        "link set wan0 up",
        "link set sim0 up",
        "route add default via 198.19.253.1",
    ]
    # Many ports per simulated device, so interface tables have a realistic size.
    for port in range(1, SCALE_PORTS + 1):
        plan.dummy(SCALE_NS, f"port{port}")
        box.append(f"link set port{port} up")
    first = int(ipaddress.IPv4Address("198.18.128.1"))
    plan.scale_addresses = [str(ipaddress.IPv4Address(first + n)) for n in range(count)]
    box += [f"address add {a}/32 dev sim0" for a in plan.scale_addresses]
    plan.devices.append(
        Device("sim-snmpd", SCALE_NS, "scale", plan.scale_addresses[0], "switch", "sim-switch",
               "udp:161", ssh_ports=())
    )  # fmt: skip


def _plan_big(plan: Plan, ports: int) -> None:
    """One chassis with ``ports`` interfaces (a 2048-port device for walk benchmarks)."""
    plan.sites.append(Site("big", "Thiết bị lớn mô phỏng (nhiều cổng)", "agency"))
    box = plan.add_ns(BIG_NS)
    plan.veth("bg0", CORE_NS, "wan0", BIG_NS)
    plan.ns_batch[CORE_NS] += ["address add 198.19.252.1/30 dev bg0", "link set bg0 up"]
    box += [
        "address add 198.19.252.2/30 dev wan0",
        "link set wan0 up",
        "route add default via 198.19.252.1",
    ]
    for port in range(1, ports + 1):
        plan.dummy(BIG_NS, f"ge{port}")
        box.append(f"link set ge{port} up")
    plan.devices.append(
        Device("big-chassis", BIG_NS, "big", "198.19.252.2", "switch", "big-chassis",
               "udp:198.19.252.2:161", ssh_ports=())
    )  # fmt: skip
