"""Prometheus snmp_exporter 0.21 (Debian's ``prometheus-snmp-exporter``): our own instance on
127.0.0.1 with a hand-written if_mib module (numeric OIDs: Debian ships no snmp.yml and no
MIBs), scraped over HTTP like Prometheus does; CPU and peak RSS read from /proc."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from bench.procstat import Run, cpu_seconds, peak_rss_mib, rss_mib
from bench.targets import V3, BenchError, Creds, Device

BINARY = "/usr/bin/prometheus-snmp-exporter"
START_TIMEOUT = 15.0  # s until the exporter answers HTTP
IF_TABLE = "1.3.6.1.2.1.2.2"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1"
_AUTH = {"md5": "MD5", "sha": "SHA", "sha224": "SHA224", "sha256": "SHA256",
         "sha384": "SHA384", "sha512": "SHA512"}  # fmt: skip
_PRIV = {"des": "DES", "aes": "AES", "aes192": "AES192", "aes256": "AES256"}

# What the upstream generator makes of IF-MIB for its if_mib module (generator.yml in
# /usr/share/doc/prometheus-snmp-exporter/examples): every readable column except ifSpecific
# (an OID), ifDescr/ifName/ifAlias as lookup labels instead of metrics, ifType as EnumAsInfo.
_IF_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("ifIndex", 1, "gauge"), ("ifType", 3, "EnumAsInfo"), ("ifMtu", 4, "gauge"),
    ("ifSpeed", 5, "gauge"), ("ifPhysAddress", 6, "PhysAddress48"),
    ("ifAdminStatus", 7, "gauge"), ("ifOperStatus", 8, "gauge"), ("ifLastChange", 9, "gauge"),
    ("ifInOctets", 10, "counter"), ("ifInUcastPkts", 11, "counter"),
    ("ifInNUcastPkts", 12, "counter"), ("ifInDiscards", 13, "counter"),
    ("ifInErrors", 14, "counter"), ("ifInUnknownProtos", 15, "counter"),
    ("ifOutOctets", 16, "counter"), ("ifOutUcastPkts", 17, "counter"),
    ("ifOutNUcastPkts", 18, "counter"), ("ifOutDiscards", 19, "counter"),
    ("ifOutErrors", 20, "counter"), ("ifOutQLen", 21, "gauge"),
)  # fmt: skip
_IFX_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("ifInMulticastPkts", 2, "counter"), ("ifInBroadcastPkts", 3, "counter"),
    ("ifOutMulticastPkts", 4, "counter"), ("ifOutBroadcastPkts", 5, "counter"),
    ("ifHCInOctets", 6, "counter"), ("ifHCInUcastPkts", 7, "counter"),
    ("ifHCInMulticastPkts", 8, "counter"), ("ifHCInBroadcastPkts", 9, "counter"),
    ("ifHCOutOctets", 10, "counter"), ("ifHCOutUcastPkts", 11, "counter"),
    ("ifHCOutMulticastPkts", 12, "counter"), ("ifHCOutBroadcastPkts", 13, "counter"),
    ("ifLinkUpDownTrapEnable", 14, "gauge"), ("ifHighSpeed", 15, "gauge"),
    ("ifPromiscuousMode", 16, "gauge"), ("ifConnectorPresent", 17, "gauge"),
    ("ifCounterDiscontinuityTime", 19, "gauge"),
)  # fmt: skip
_LOOKUPS = (
    ("ifAlias", f"{IF_X_TABLE}.1.18"),
    ("ifDescr", f"{IF_TABLE}.1.2"),
    ("ifName", f"{IF_X_TABLE}.1.1"),
)
_IF_TYPES = {1: "other", 6: "ethernetCsmacd", 24: "softwareLoopback", 53: "propVirtual",
             131: "tunnel", 135: "l2vlan", 161: "ieee8023adLag"}  # fmt: skip
_PDUS = re.compile(rb"^snmp_scrape_pdus_returned (\S+)$", re.MULTILINE)


def _metric(name: str, oid: str, kind: str) -> dict[str, Any]:
    metric: dict[str, Any] = {
        "name": name,
        "oid": oid,
        "type": kind,
        "help": f"{name} - {oid}",
        "indexes": [{"labelname": "ifIndex", "type": "gauge"}],
        "lookups": [
            {"labels": ["ifIndex"], "labelname": label, "oid": loid, "type": "DisplayString"}
            for label, loid in _LOOKUPS
        ],
    }
    if name == "ifType":
        metric["enum_values"] = _IF_TYPES
    return metric


def _auth(creds: Creds) -> dict[str, str]:
    if isinstance(creds, V3):
        return {
            "username": creds.user,
            "security_level": "authPriv",
            "password": creds.auth_password,
            "auth_protocol": _AUTH[creds.auth_protocol],
            "priv_protocol": _PRIV[creds.priv_protocol],
            "priv_password": creds.priv_password,
        }
    return {"community": creds.community}


def module(creds: Creds, max_repetitions: int, timeout: float, retries: int) -> dict[str, Any]:
    """An if_mib module in the 0.21 format: auth, version and walk parameters sit inside the
    module (the separate ``auths:`` section only came in 0.23)."""
    metrics = [_metric(n, f"{IF_TABLE}.1.{c}", k) for n, c, k in _IF_COLUMNS]
    metrics += [_metric(n, f"{IF_X_TABLE}.1.{c}", k) for n, c, k in _IFX_COLUMNS]
    return {
        "walk": [IF_TABLE, IF_X_TABLE],
        "version": 3 if isinstance(creds, V3) else 2,
        "max_repetitions": max_repetitions,
        "retries": retries,
        "timeout": f"{timeout:g}s",
        "auth": _auth(creds),
        "metrics": metrics,
    }


def write_config(path: Path, modules: dict[str, dict[str, Any]]) -> None:
    """snmp.yml (0.21: module names at the top level); it holds secrets, so mode 0600."""
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(modules, sort_keys=False), encoding="utf-8")


def _tail(path: Path, lines: int = 2) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Exporter:
    """One snmp_exporter process scraped for a set of devices with one module."""

    name = "snmp_exporter"

    def __init__(
        self, config: Path, module_name: str, devices: Sequence[Device], concurrency: int
    ) -> None:
        self.config = config
        self.module_name = module_name
        self.devices = list(devices)
        self.concurrency = concurrency
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = config.with_suffix(f".{module_name}.log")

    def start(self) -> None:
        """Start our own instance (never the system's service) and wait until it answers."""
        self.port = free_port()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    BINARY,
                    f"--config.file={self.config}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"snmp_exporter exited at start: {_tail(self.log)}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1),
            ):
                return
            time.sleep(0.1)
        raise BenchError(f"snmp_exporter did not answer within {START_TIMEOUT:g} s")

    def _scrape(self, device: Device) -> tuple[bool, int]:
        """One Prometheus-style scrape (no gzip: Prometheus' own cost is not ours to count).
        Returns (answered completely, varbinds the exporter says it got)."""
        query = urllib.parse.urlencode({"target": device.host, "module": self.module_name})
        url = f"http://127.0.0.1:{self.port}/snmp?{query}"
        timeout = 60.0 + device.timeout * (device.retries + 1) * 4
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                body: bytes = resp.read()
        except (urllib.error.URLError, OSError):
            return False, 0  # 0.21 answers 500 when the walk failed
        match = _PDUS.search(body)
        pdus = int(float(match.group(1))) if match else 0
        return pdus > 0, pdus

    def run(self) -> Run:
        """Scrape every device once, ``concurrency`` scrapes in flight."""
        assert self.proc is not None
        cpu0, start = cpu_seconds(self.proc.pid), time.perf_counter()
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            results = list(pool.map(self._scrape, self.devices))
        wall, cpu1 = time.perf_counter() - start, cpu_seconds(self.proc.pid)
        return Run(
            cpu=cpu1 - cpu0,
            wall=wall,
            units=len(self.devices),
            items=sum(r[1] for r in results),
            failed=sum(1 for r in results if not r[0]),
        )

    def peak_rss(self) -> float | None:
        return peak_rss_mib(self.proc.pid) if self.proc is not None else None

    def steady_rss(self) -> float | None:
        """VmRSS now, after the last repetition."""
        return rss_mib(self.proc.pid) if self.proc is not None else None

    def stop(self) -> None:
        """End the instance we started (by its own handle: SIGTERM, then SIGKILL)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
