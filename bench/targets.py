"""The devices the SNMP benchmark polls: the lab's big chassis and its scale devices.

They come from the inventory the lab wrote (with its freshly generated secrets), and every
address is checked to be a lab address, so a benchmark can never poll a real network.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netwarden.inventory.credentials import SnmpCredential
from netwarden.inventory.loader import load_inventory
from netwarden.inventory.model import Inventory
from netwarden.lab.state import DEFAULT_DIR, LabState, load

LAB_NET = ipaddress.ip_network("198.18.0.0/15")  # everything the lab uses (RFC 2544 range)
BIG_DEVICE = "big-chassis"
SCALE_SITE = "scale"
V2C_CREDENTIAL = "snmp-lab-v2"
V3_CREDENTIAL = "snmp-lab-v3"
LAB_UP_TIMEOUT = 600.0  # s; 30,000 scale devices take far less, but a loaded machine is slow


class BenchError(RuntimeError):
    """The benchmark cannot run (no lab, lab too small, a tool missing); one line for humans."""


@dataclass(frozen=True)
class V2c:
    community: str

    def __repr__(self) -> str:
        return "V2c(<secret>)"


@dataclass(frozen=True)
class V3:
    """A USM user; the benchmark only uses authPriv, as the issue's targets ask."""

    user: str
    auth_protocol: str  # netwarden spelling: "sha", "sha256", ...
    auth_password: str
    priv_protocol: str  # "aes", "aes256", ...
    priv_password: str

    def __repr__(self) -> str:
        return f"V3(user={self.user!r}, {self.auth_protocol}/{self.priv_protocol})"


Creds = V2c | V3


@dataclass(frozen=True)
class Device:
    name: str
    host: str
    creds: Creds
    timeout: float = 10.0
    retries: int = 1


@dataclass(frozen=True)
class Targets:
    big_v2c: Device
    big_v3: Device
    big_ports: int
    fleet: tuple[Device, ...]
    # The lab inventory's credential entries (file: references only), for the agent's row.
    credentials: dict[str, Any] = field(default_factory=dict)


def lab_address(host: str) -> str:
    """``host`` if it is a lab address; anything else is refused before a packet is sent."""
    if ipaddress.ip_address(host) not in LAB_NET:
        raise BenchError(f"{host} is not a lab address ({LAB_NET}): refusing to poll it")
    return host


def _creds(cred: SnmpCredential) -> Creds:
    if cred.version == "2c":
        assert cred.community is not None  # the inventory model guarantees it
        return V2c(cred.community.reveal())
    if cred.user is None or cred.auth is None or cred.priv is None:
        raise BenchError("the lab's v3 credential is not authPriv")
    return V3(
        user=cred.user,
        auth_protocol=cred.auth.protocol,
        auth_password=cred.auth.secret.reveal(),
        priv_protocol=cred.priv.protocol,
        priv_password=cred.priv.secret.reveal(),
    )


def _credential(inv: Inventory, name: str) -> Creds:
    cred = inv.credentials.get(name)
    if cred is None or cred.snmp is None:
        raise BenchError(f"the lab inventory has no SNMP credential {name!r}")
    return _creds(cred.snmp)


def read_targets(state: LabState, fleet_size: int, big_ports: int) -> Targets:
    """The big chassis (v2c and v3) and the first ``fleet_size`` scale devices of the lab."""
    params = state.params
    if int(params.get("big_ports", 0)) < big_ports:
        raise BenchError(
            f"the running lab has no {big_ports}-port device (big_ports="
            f"{params.get('big_ports', 0)}): run without --reuse-lab, or rebuild the lab"
        )
    if int(params.get("scale_devices", 0)) < fleet_size:
        raise BenchError(
            f"the running lab has {params.get('scale_devices', 0)} scale devices, "
            f"the fleet needs {fleet_size}: lower --fleet or rebuild the lab"
        )
    inv = load_inventory([Path(state.inventory)])
    v2c, v3 = _credential(inv, V2C_CREDENTIAL), _credential(inv, V3_CREDENTIAL)
    big = next((d for d in inv.devices if d.id == BIG_DEVICE), None)
    if big is None:
        raise BenchError(f"the lab inventory has no device {BIG_DEVICE!r}")
    host = lab_address(str(big.address))
    scale = [d for d in inv.devices if d.site == SCALE_SITE and d.snmp is not None]
    fleet = tuple(
        Device(d.id, lab_address(str(d.address)), v2c, timeout=2.0, retries=1)
        for d in scale[:fleet_size]
    )
    return Targets(
        big_v2c=Device(BIG_DEVICE, host, v2c),
        big_v3=Device(BIG_DEVICE, host, v3),
        big_ports=int(params["big_ports"]),
        fleet=fleet,
        credentials=_raw_credentials(Path(state.inventory)),
    )


def _raw_credentials(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    credentials: dict[str, Any] = document["credentials"]
    return credentials


def running_lab() -> LabState | None:
    """The lab recorded on this machine, if any."""
    return load(DEFAULT_DIR)


def _netwarden(*args: str) -> None:
    """Run a netwarden CLI command of this checkout; its progress goes to our stderr."""
    argv = [sys.executable, "-m", "netwarden", *args]
    try:
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, timeout=LAB_UP_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"`netwarden {' '.join(args)}` took over {LAB_UP_TIMEOUT:g} s") from None
    if done.returncode != 0:
        raise BenchError(f"`netwarden {' '.join(args)}` failed (exit {done.returncode})")


def lab_up(fleet_size: int, big_ports: int) -> LabState:
    """Build the benchmark's own lab: one agency, no NAT, the fleet and the big chassis."""
    _netwarden(
        "lab",
        "up",
        "--agencies",
        "1",
        "--nat",
        "0",
        "--scale-devices",
        str(fleet_size),
        "--big-device-ports",
        str(big_ports),
    )
    state = running_lab()
    if state is None:
        raise BenchError("`netwarden lab up` succeeded but recorded no lab")
    return state


def lab_down() -> None:
    """Remove the lab this benchmark built."""
    _netwarden("lab", "down")


def acquire_lab(
    *, reuse: bool, replace: bool, fleet_size: int, big_ports: int, verb: str
) -> tuple[LabState, bool]:
    """The lab to measure against, and whether this run built it (and so must remove it).

    A running lab may be a colleague's: it is used only with ``reuse``, rebuilt only with
    ``replace``, otherwise the benchmark stops and says so. ``verb`` names what the benchmark
    does to targets ("poll", "ping") in that message.
    """
    state = running_lab()
    if reuse:
        if state is None:
            raise BenchError("--reuse-lab: no lab is running")
        return state, False
    if state is not None and not replace:
        raise BenchError(
            "a lab is already running (perhaps a colleague's): "
            f"--reuse-lab to {verb} it as it is, --replace-lab to rebuild it"
        )
    print(
        f"bench: building the lab ({fleet_size} scale devices, a {big_ports}-port device)",
        file=sys.stderr,
    )
    try:
        return lab_up(fleet_size, big_ports), True
    except BaseException:  # a half-built lab (or Ctrl-C in the middle) is removed too
        release_lab()
        raise


def release_lab() -> None:
    """Remove the lab this run built; a failure is reported, not raised (results stand)."""
    try:
        lab_down()
    except BenchError as exc:
        print(f"bench: error: {exc}; remove it with `netwarden lab down`", file=sys.stderr)
