"""Edge values from a real SNMP agent (snmpsim serving generated recordings): Counter64 at
2**64-1 and past 2**53, Vietnamese and non-UTF-8 aliases, and a 32-bit-only device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.agent_process import free_port

NW = [sys.executable, "-m", "netwarden"]
IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"
ALIAS_VI = "Kết nối TSLCD tới lõi — Sở Tài chính".encode()
ALIAS_RAW = b"Pho\xccng ho\xf2p"  # Windows-1258, not UTF-8
MAX64 = 2**64 - 1
PAST53 = 2**53 + 1


def _records(names: list[str], *, hc: bool) -> list[tuple[str, int, str]]:
    rows: list[tuple[str, int, str]] = [
        ("1.3.6.1.2.1.1.3.0", 67, "4242"),
        ("1.3.6.1.2.1.2.1.0", 2, str(len(names))),
        ("1.3.6.1.2.1.31.1.5.0", 67, "0"),
    ]
    for index, name in enumerate(names, start=1):
        rows += [(f"{IF}.1.{index}", 2, str(index)), (f"{IF}.2.{index}", 4, name)]
        for column, value in (
            (7, 1),
            (8, 1),
            (9, 0),
            (10, 1000 * index),
            (11, 10),
            (13, 0),
            (14, 3),
            (16, 2000 * index),
            (17, 20),
            (19, 0),
            (20, 0),
        ):
            tag = {7: 2, 8: 2, 9: 67}.get(column, 65)
            rows.append((f"{IF}.{column}.{index}", tag, str(value)))  # fmt: skip
        rows += [(f"{IFX}.1.{index}", 4, name), (f"{IFX}.15.{index}", 66, "1000")]
        alias = ALIAS_VI if index == 1 else ALIAS_RAW
        rows.append((f"{IFX}.18.{index}", 4, "x" + alias.hex()))
        if hc:
            hc_in, hc_out = (MAX64, PAST53) if index == 1 else (5, 6)
            rows += [(f"{IFX}.6.{index}", 70, str(hc_in)), (f"{IFX}.10.{index}", 70, str(hc_out))]
            rows += [(f"{IFX}.{c}.{index}", 70, "0") for c in (7, 8, 9, 11, 12, 13)]
    return rows


def _write_snmprec(path: Path, rows: list[tuple[str, int, str]]) -> None:
    ordered = sorted(rows, key=lambda r: tuple(int(p) for p in r[0].split(".")))
    lines = []
    for oid, tag, value in ordered:
        hexed = value.startswith("x") and tag == 4
        lines.append(f"{oid}|{tag}x|{value[1:]}" if hexed else f"{oid}|{tag}|{value}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def snmpsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    if os.geteuid() != 0:
        pytest.fail("lab tests need root")
    data = tmp_path_factory.mktemp("snmpsim")
    _write_snmprec(data / "odd.snmprec", _records(["wan0", "lan0"], hc=True))
    _write_snmprec(data / "legacy32.snmprec", _records(["Fa0/1", "Fa0/2"], hc=False))
    port = free_port()
    log = (data / "snmpsim.log").open("wb")
    # It keeps root (it only listens on loopback, for this module): dropping to nobody would
    # leave it unable to import from an interpreter under a private home directory.
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "snmpsim-command-responder"), f"--data-dir={data}",
         f"--cache-dir={data / 'cache'}", f"--agent-udpv4-endpoint=127.0.0.1:{port}",
         f"--agent-udpv4-endpoint=127.0.0.2:{port}",
         "--process-user=root", "--process-group=root"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_answering(port)
        yield port, data
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _wait_answering(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = subprocess.run(
            ["snmpget", "-v2c", "-c", "odd", "-t", "0.5", "-r", "0", f"127.0.0.1:{port}",
             "1.3.6.1.2.1.1.3.0"], capture_output=True, timeout=10, check=False,
        )  # fmt: skip
        if done.returncode == 0:
            return
        time.sleep(0.3)
    raise AssertionError("snmpsim did not answer")


def _inventory(port: int, folder: Path) -> Path:
    (folder / "odd").write_text("odd")
    (folder / "legacy").write_text("legacy32")
    path = folder / "edge.yaml"
    devices = "".join(
        f"  - {{id: {name}, site: s, address: {address}, role: switch,"
        f" snmp: {{credential: {name}, port: {port}, timeout: 2s}}}}\n"
        for name, address in (("odd", "127.0.0.1"), ("legacy", "127.0.0.2"))
    )
    path.write_text(
        "province: edge\nagents: [{id: a, site: s}]\nsites: [{id: s, kind: agency}]\n"
        f"devices:\n{devices}credentials:\n"
        f"  odd: {{snmp: {{version: 2c, community: 'file:{folder / 'odd'}'}}}}\n"
        f"  legacy: {{snmp: {{version: 2c, community: 'file:{folder / 'legacy'}'}}}}\n"
    )
    return path


def _poll(inventory: Path, device: str, output: str) -> str:
    done = subprocess.run([*NW, "poll", device, "-i", str(inventory), "-o", output],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_counter64_exact_in_json_and_monotonic_floats_in_the_exposition(
    snmpsim: tuple[int, Path], tmp_path: Path
) -> None:
    inventory = _inventory(snmpsim[0], tmp_path)
    snapshot = json.loads(_poll(inventory, "odd", "json"))
    wan0 = next(i for i in snapshot["interfaces"] if i["if_name"] == "wan0")
    assert wan0["counters"]["ifHCInOctets"] == MAX64  # the exact integer, not a float
    assert wan0["counters"]["ifHCOutOctets"] == PAST53
    text = _poll(inventory, "odd", "prometheus")
    line = next(x for x in text.splitlines() if x.startswith("ifHCInOctets{") and "wan0" in x)
    assert float(line.rsplit(" ", 1)[1]) == float(MAX64)  # nearest float64: no wrap at 2**53
    out = next(x for x in text.splitlines() if x.startswith("ifHCOutOctets{") and "wan0" in x)
    assert float(out.rsplit(" ", 1)[1]) >= 2**53


def test_vietnamese_and_non_utf8_aliases_both_export(
    snmpsim: tuple[int, Path], tmp_path: Path
) -> None:
    inventory = _inventory(snmpsim[0], tmp_path)
    text = _poll(inventory, "odd", "prometheus")
    assert 'ifAlias="Kết nối TSLCD tới lõi — Sở Tài chính"' in text
    # Invalid bytes stay visible and reversible instead of failing the device.
    assert 'ifAlias="Pho\\\\xccng ho\\\\xf2p"' in text
    assert text.count("\nifHCInOctets{") + text.startswith("ifHCInOctets{") == 2


def test_a_32_bit_only_device_falls_back_and_is_flagged(
    snmpsim: tuple[int, Path], tmp_path: Path
) -> None:
    inventory = _inventory(snmpsim[0], tmp_path)
    text = _poll(inventory, "legacy", "prometheus")
    assert "\nifInOctets{" in text
    assert "ifHCInOctets{" not in text
    flags = [x for x in text.splitlines() if x.startswith("netwarden_if_high_capacity{")]
    assert len(flags) == 2
    assert all(x.endswith(" 0") for x in flags)
