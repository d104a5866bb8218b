"""net-snmp ``snmpbulkwalk``: the C baseline. One process per table walk, measured through
``wait4`` (exact CPU and peak RSS of each child, whatever else this process does)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.procstat import Run, status_kib
from bench.targets import V3, Creds, Device

BINARY = "/usr/bin/snmpbulkwalk"
# net-snmp spells the protocols in upper case; the inventory in lower case.
_AUTH = {
    "md5": "MD5",
    "sha": "SHA",
    "sha224": "SHA-224",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
}
_PRIV = {"des": "DES", "aes": "AES", "aes192": "AES-192", "aes256": "AES-256"}


@dataclass(frozen=True)
class ChildUsage:
    cpu: float  # s, user + system
    maxrss_kib: int
    lines: int  # varbinds printed
    ok: bool


def write_conf(directory: Path, creds: Creds) -> dict[str, str]:
    """An snmp.conf holding the credentials, so no secret shows in ``ps``; returns the
    environment that makes snmpbulkwalk read only it and keep its state in ``directory``."""
    if isinstance(creds, V3):
        lines = [
            "defVersion 3",
            f"defSecurityName {creds.user}",
            "defSecurityLevel authPriv",
            f"defAuthType {_AUTH[creds.auth_protocol]}",
            f"defAuthPassphrase {creds.auth_password}",
            f"defPrivType {_PRIV[creds.priv_protocol]}",
            f"defPrivPassphrase {creds.priv_password}",
        ]
    else:
        lines = ["defVersion 2c", f"defCommunity {creds.community}"]
    conf = directory / "snmp.conf"
    conf.touch(mode=0o600)
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Pre-made, or net-snmp prints "Created directory" on the first run.
    (directory / "persist" / "cert_indexes").mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SNMPCONFPATH": str(directory),
        "SNMP_PERSISTENT_DIR": str(directory / "persist"),
    }


def argv(device: Device, root: str, max_repetitions: int) -> list[str]:
    """One walk of ``root``: numeric OIDs, no MIB loading, terse values (the cheapest
    output net-snmp has, so its CPU is the protocol's, not the formatter's)."""
    return [
        BINARY,
        "-m",
        "",
        "-On",
        "-Oq",
        f"-Cr{max_repetitions}",
        "-t",
        f"{device.timeout:g}",
        "-r",
        str(device.retries),
        device.host,
        root,
    ]


def _hwm_kib(pid: int) -> int:
    """The child's own peak RSS so far. Not wait4's ru_maxrss: Linux carries the parent's
    (this Python process's) RSS at fork into it, so every child would look 50 MiB large."""
    try:
        return status_kib(pid, "VmHWM")
    except (OSError, KeyError):  # exited meanwhile: a zombie has no memory figures
        return 0


def run_child(args: Sequence[str], env: dict[str, str], timeout: float) -> ChildUsage:
    """Run one snmpbulkwalk, count its output lines, and reap it with ``wait4``."""
    proc = subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    reaped = threading.Event()
    lock = threading.Lock()

    def kill() -> None:
        # A hung walk is killed after ``timeout``, but never once reaped: its PID may be reused.
        with lock:
            if not reaped.is_set():
                proc.kill()

    killer = threading.Timer(timeout, kill)
    killer.start()
    stdout = proc.stdout
    assert stdout is not None
    try:
        lines, hwm = 0, 0
        # os.read returns what the pipe holds now, so the peak is sampled while the walk runs
        # (only after its first output: before exec, /proc shows this process's memory).
        while chunk := os.read(stdout.fileno(), 65536):  # ends at EOF: done or killed
            lines += chunk.count(b"\n")
            hwm = max(hwm, _hwm_kib(proc.pid))
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited; still ours to reap
        with lock:
            reaped.set()
            _, status, usage = os.wait4(proc.pid, 0)
    finally:
        killer.cancel()
    # We reaped it ourselves; tell Popen so it never waits for it again.
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout.close()
    return ChildUsage(
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss_kib=hwm,
        lines=lines,
        ok=proc.returncode == 0,
    )


class BulkWalk:
    """snmpbulkwalk over a set of devices, each root walked by its own process in turn."""

    name = "snmpbulkwalk"

    def __init__(
        self,
        devices: Sequence[Device],
        roots: Sequence[str],
        conf_dir: Path,
        concurrency: int,
        max_repetitions: int,
    ) -> None:
        self.devices = list(devices)
        self.roots = list(roots)
        self.concurrency = concurrency
        self.max_repetitions = max_repetitions
        self.env = write_conf(conf_dir, devices[0].creds)
        self._peak_kib = 0

    def start(self) -> None:
        if not os.access(BINARY, os.X_OK):
            raise FileNotFoundError(f"{BINARY} is missing: apt-get install snmp")

    def _device(self, device: Device) -> tuple[float, int, bool]:
        cpu, lines, ok = 0.0, 0, True
        for root in self.roots:
            # Generous: a walk is retried per request, not as a whole.
            timeout = 60.0 + device.timeout * (device.retries + 1) * 4
            usage = run_child(argv(device, root, self.max_repetitions), self.env, timeout)
            cpu += usage.cpu
            lines += usage.lines
            ok = ok and usage.ok and usage.lines > 0
            self._peak_kib = max(self._peak_kib, usage.maxrss_kib)
        return cpu, lines, ok

    def run(self) -> Run:
        """Walk every device once (``concurrency`` devices at a time)."""
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            results = list(pool.map(self._device, self.devices))
        wall = time.perf_counter() - start
        return Run(
            cpu=sum(r[0] for r in results),
            wall=wall,
            units=len(self.devices),
            items=sum(r[1] for r in results),
            failed=sum(1 for r in results if not r[2]),
        )

    def peak_rss(self) -> float | None:
        """The largest single snmpbulkwalk process (MiB): each walk is its own process."""
        return self._peak_kib / 1024 if self._peak_kib else None

    def stop(self) -> None:
        """Nothing runs between walks."""
