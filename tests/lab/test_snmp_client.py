"""The SNMP client against the lab's real net-snmp agents, with net-snmp's own tools as the
reference. Runs on a running lab with ``NW_LAB_REUSE=1`` (the lab's links are not changed).

A private snmpd in namespace nwl-a1 on port 1161 carries one user per auth/priv combination
(MD5, SHA, SHA-2; DES, AES-128, AES-192/256 Blumenthal and Reeder) for the protocols the lab's
own agents do not use.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from netwarden.agent.snmp.client import UdpSnmpSession
from netwarden.agent.snmp.types import (
    Credentials,
    Oid,
    Reason,
    SnmpError,
    Tag,
    Target,
    V2cCredentials,
    V3Credentials,
    VarBind,
    parse_oid,
)
from tests.lab.conftest import Lab
from tests.waiting import wait_for

SYS_NAME = parse_oid("1.3.6.1.2.1.1.5.0")
IF_TABLE = parse_oid("1.3.6.1.2.1.2.2")
IFX_TABLE = parse_oid("1.3.6.1.2.1.31.1.1")
IF_COLUMNS = [(*IF_TABLE, 1, c) for c in range(1, 23)] + [(*IFX_TABLE, 1, c) for c in range(1, 20)]
IF_DESCR = (*IF_TABLE, 1, 2)
DEVICES = {
    "core-rtr": "198.18.100.1",
    "sw-so-khcn-core": "198.18.1.2",
    "sw-so-tc-core": "198.18.2.2",
    "sw-dc-core": "198.18.10.2",
    "dc-web-01": "198.18.10.5",
    "dc-db-01": "198.18.10.6",
    "big-chassis": "198.19.252.2",
}
BIG_CHASSIS = DEVICES["big-chassis"]


# This module also polls scale-mode devices and the 2,048-port chassis (conftest's `lab`).
LAB_SIZE = {"scale_devices": 100, "big_ports": 2048}


COUNTERS = {Tag.COUNTER32, Tag.COUNTER64}
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"


@pytest.fixture(scope="module", autouse=True)
def big_chassis_settled(lab: Lab) -> None:
    """Until the 2,048-port chassis answers with every port up. Its snmpd builds the interface
    table on the first request (seconds, more under load), and the kernel raises 2,048 veth
    carriers over a few seconds (it batches link events): a walk before that races them."""

    def all_up() -> bool:
        done = subprocess.run(
            ["snmpbulkwalk", "-v2c", "-c", lab.secret("snmp-community"), "-Oqv", "-t", "5",
             "-r", "1", BIG_CHASSIS, IF_OPER_STATUS],
            capture_output=True, text=True, timeout=60, check=False, env={**os.environ, "MIBS": ""},
        )  # fmt: skip
        return done.returncode == 0 and done.stdout.split().count("1") >= 2049  # ports + wan0

    wait_for("the big chassis answering with every port up", all_up, 120, every=1)


def run(coro_target: Target, work: str, oids: Sequence[Oid]) -> object:
    """One session, one call (``get`` or ``bulk_walk``), closed afterwards."""

    async def main() -> object:
        async with UdpSnmpSession(coro_target) as session:
            if work == "get":
                return await session.get(oids)
            return await session.bulk_walk(oids)

    return asyncio.run(asyncio.wait_for(main(), 120))


def v2c(lab: Lab) -> V2cCredentials:
    return V2cCredentials(lab.secret("snmp-community").encode())


def v3(lab: Lab, *, auth: str | None = None, user: str = "labv3") -> V3Credentials:
    password = auth or lab.secret("snmp-auth")
    return V3Credentials(user, "sha", password.encode(), "aes", lab.secret("snmp-priv").encode())


def netsnmp_args(lab: Lab, creds: Credentials) -> list[str]:
    if isinstance(creds, V2cCredentials):
        return ["-v2c", "-c", creds.community.decode()]
    return ["-v3", "-l", "authPriv", "-u", creds.user, "-a", "SHA", "-A", lab.secret("snmp-auth"),
            "-x", "AES", "-X", lab.secret("snmp-priv")]  # fmt: skip


# -- the reference: snmpbulkwalk -On, parsed ----------------------------------------------------

_NUMERIC = {
    "INTEGER": Tag.INTEGER,
    "Counter32": Tag.COUNTER32,
    "Gauge32": Tag.GAUGE32,
    "Counter64": Tag.COUNTER64,
}


def _value(kind: str, text: str) -> tuple[Tag, object]:
    if kind in _NUMERIC:
        return _NUMERIC[kind], int(text)
    if kind == "Timeticks":  # "(1234) 0:00:12.34"
        return Tag.TIMETICKS, int(text.partition(")")[0].lstrip("("))
    if kind == "OID":
        return Tag.OBJECT_IDENTIFIER, parse_oid(text)
    if kind == "IpAddress":
        return Tag.IP_ADDRESS, bytes(int(part) for part in text.split("."))
    if kind in ("Hex-STRING", '""'):
        return Tag.OCTET_STRING, bytes.fromhex(text)
    raise AssertionError(f"unexpected snmpbulkwalk type {kind!r}")


def reference_walk(lab: Lab, address: str, creds: Credentials, roots: Sequence[Oid]) -> dict:
    """{oid: (tag, value)} by ``snmpbulkwalk -On -Ox`` (hex strings continue on next lines)."""
    lines: list[str] = []
    for root in roots:
        argv = ["snmpbulkwalk", *netsnmp_args(lab, creds), "-On", "-Ox", "-Oe", "-OU", "-t", "3",
                "-r", "1", address, ".".join(map(str, root))]  # fmt: skip
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env={**os.environ, "MIBS": ""},
        )
        lines += done.stdout.splitlines()
    entries: list[list[str]] = []
    for line in lines:
        if line.startswith("."):
            entries.append([line])
        else:
            entries[-1].append(line)  # a hex string's continuation
    out = {}
    for oid_text, _, rest in (" ".join(e).partition(" = ") for e in entries):
        kind, _, text = rest.partition(": ")
        out[parse_oid(oid_text)] = _value(kind, text.strip())  # `= ""` is an empty string
    return out


def assert_walk_matches(
    ours: Mapping[Oid, list[VarBind]], before: dict, after: dict, roots: Sequence[Oid]
) -> None:
    """Every row as net-snmp saw it: counters between the two reference walks, others equal to
    one of them (a colleague's link fault may flip an ifOperStatus meanwhile)."""
    flat = {vb.oid: vb for root in roots for vb in ours[root]}
    assert sorted(flat) == sorted(before) == sorted(after)
    for oid, vb in flat.items():
        (tag0, v0), (tag1, v1) = before[oid], after[oid]
        assert vb.tag == tag0 == tag1, oid
        if vb.tag in COUNTERS:
            assert v0 <= vb.value <= v1, (oid, v0, vb.value, v1)  # type: ignore[operator]
        else:
            assert vb.value in (v0, v1), (oid, v0, vb.value, v1)


# -- the lab's agents ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "address"), sorted(DEVICES.items()))
def test_get_sys_name_v2c_and_v3(lab: Lab, name: str, address: str) -> None:
    for creds in (v2c(lab), v3(lab)):
        got = run(Target(address, credentials=creds), "get", [SYS_NAME])
        assert got == [VarBind(SYS_NAME, Tag.OCTET_STRING, name.encode())]


def test_get_on_a_scale_device_v2c(lab: Lab) -> None:
    got = run(Target("198.18.128.100", credentials=v2c(lab)), "get", [SYS_NAME])
    assert got == [VarBind(SYS_NAME, Tag.OCTET_STRING, b"sim-switch")]


@pytest.mark.parametrize("version", ["v2c", "v3"])
@pytest.mark.parametrize("address", [DEVICES["core-rtr"], DEVICES["sw-so-khcn-core"]])
def test_walk_of_if_tables_equals_snmpbulkwalk(lab: Lab, version: str, address: str) -> None:
    creds = v2c(lab) if version == "v2c" else v3(lab)
    before = reference_walk(lab, address, creds, [IF_TABLE, IFX_TABLE])
    ours = run(Target(address, credentials=creds), "walk", IF_COLUMNS)
    after = reference_walk(lab, address, creds, [IF_TABLE, IFX_TABLE])
    assert isinstance(ours, Mapping)
    assert_walk_matches(ours, before, after, IF_COLUMNS)


@pytest.mark.parametrize("version", ["v2c", "v3"])
def test_big_chassis_walks_2050_rows_per_column_within_the_cpu_budget(
    lab: Lab, version: str
) -> None:
    creds = v2c(lab) if version == "v2c" else v3(lab)
    reference = reference_walk(lab, BIG_CHASSIS, creds, [IF_TABLE, IFX_TABLE])
    cpu = time.process_time()
    ours = run(Target(BIG_CHASSIS, credentials=creds, timeout=3.0), "walk", IF_COLUMNS)
    cpu = time.process_time() - cpu
    assert isinstance(ours, Mapping)
    rows = {root: len(ours[root]) for root in IF_COLUMNS}
    absent = (*IFX_TABLE, 1, 14)  # ifLinkUpDownTrapEnable: net-snmp does not serve it
    assert {n for root, n in rows.items() if root != absent} == {2050}
    assert sum(rows.values()) == len(reference) >= 81_920
    assert_walk_matches(ours, reference, reference | _counters_far_ahead(reference), IF_COLUMNS)
    # The budget: half of snmp_exporter's ~2.6 s per walk (measured 0.35-0.65 s here).
    assert cpu < 1.3, f"{version} walk took {cpu:.2f} s CPU"


def _counters_far_ahead(reference: dict) -> dict:
    return {oid: (tag, v + 10**12) for oid, (tag, v) in reference.items() if tag in COUNTERS}


# -- failures -----------------------------------------------------------------------------------


def test_wrong_community_is_a_quick_timeout(lab: Lab) -> None:
    target = Target(
        DEVICES["sw-dc-core"], timeout=0.5, retries=0, credentials=V2cCredentials(b"nope")
    )
    t0 = time.monotonic()
    with pytest.raises(SnmpError) as err:
        run(target, "get", [SYS_NAME])
    assert err.value.reason == Reason.timeout
    assert time.monotonic() - t0 < 1.5


@pytest.mark.parametrize(
    ("creds", "report"),
    [
        ({"auth": "not-the-auth-password"}, "usmStatsWrongDigests"),
        ({"user": "nobody"}, "usmStatsUnknownUserNames"),
    ],
)
def test_v3_wrong_password_or_user_is_auth(lab: Lab, creds: dict[str, str], report: str) -> None:
    with pytest.raises(SnmpError) as err:
        run(
            Target(DEVICES["core-rtr"], timeout=1.0, credentials=v3(lab, **creds)),
            "get",
            [SYS_NAME],
        )
    assert err.value.reason == Reason.auth
    assert report in str(err.value)


def test_nothing_listening_is_refused(lab: Lab) -> None:
    with pytest.raises(SnmpError) as err:
        run(Target(DEVICES["core-rtr"], 1161, timeout=1.0, retries=0), "get", [SYS_NAME])
    # The agent's kernel answers ICMP port unreachable (refused, as seen here); a rate-limited
    # ICMP (other tests poking closed ports of the same router) would leave a timeout.
    assert err.value.reason in (Reason.refused, Reason.timeout)


def test_an_address_nobody_answers_is_timeout_or_unreachable(lab: Lab) -> None:
    with pytest.raises(SnmpError) as err:
        run(Target("198.18.99.99", timeout=0.5, retries=1), "get", [SYS_NAME])
    assert err.value.reason in (Reason.timeout, Reason.unreachable)


# -- every auth/priv protocol, against a private snmpd ------------------------------------------

PORT = 1161
AGENT = "198.18.1.2"  # sw-so-khcn-core's namespace nwl-a1
# (user, our auth, our priv, net-snmp's -a, net-snmp's -x / createUser privacy name)
USERS = [
    ("umd5des", "md5", "des", "MD5", "DES"),
    ("ushaaes", "sha", "aes", "SHA", "AES"),
    ("usha224aes", "sha224", "aes", "SHA-224", "AES"),
    ("usha256aes192", "sha256", "aes192", "SHA-256", "AES-192"),
    ("usha384aes256", "sha384", "aes256", "SHA-384", "AES-256"),
    ("usha512aes256", "sha512", "aes256", "SHA-512", "AES-256"),
    ("ushaaes256", "sha", "aes256", "SHA", "AES-256"),  # key extension needed (20 < 32)
    ("umd5aes192", "md5", "aes192", "MD5", "AES-192"),  # key extension needed (16 < 24)
    ("ushaaes192c", "sha", "aes192c", "SHA", "AES192C"),  # Reeder (Cisco) extension
    ("umd5aes256c", "md5", "aes256c", "MD5", "AES256C"),
    ("usha512des", "sha512", "des", "SHA-512", "DES"),
    ("uauth", "sha256", None, "SHA-256", None),
    ("unone", None, None, None, None),
]


def _password(kind: str, user: str) -> str:
    return f"{kind}-{user}-pass"


def _creds(user: str, auth: str | None, priv: str | None) -> V3Credentials:
    return V3Credentials(
        user,
        auth,
        _password("auth", user).encode() if auth else None,
        priv,
        _password("priv", user).encode() if priv else None,
    )


def _snmpd_config() -> str:
    lines = [f"agentAddress udp:{AGENT}:{PORT}"]
    for user, _, _, a, x in USERS:
        secret = f" {a} {_password('auth', user)}" if a else ""
        secret += f" {x} {_password('priv', user)}" if x else ""
        level = "priv" if x else "auth" if a else "noauth"
        lines += [f"createUser {user}{secret}", f"rouser {user} {level}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def private_snmpd(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """snmpd in nwl-a1 on 198.18.1.2:1161 with the users above; stopped by its PID."""
    root: Path = tmp_path_factory.mktemp("snmpd")
    (root / "snmpd.conf").write_text(_snmpd_config())
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(root / "persist")}
    argv = ["ip", "netns", "exec", "nwl-a1", "/usr/sbin/snmpd", "-f", "-C", "-c",
            str(root / "snmpd.conf"), "-Lo", "-I", "-smux"]  # fmt: skip
    with (root / "snmpd.log").open("w") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_until_answering(proc, root / "snmpd.log")
        yield AGENT
    finally:
        proc.terminate()  # `ip netns exec` execs snmpd: this PID is the daemon's
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_until_answering(proc: subprocess.Popen[bytes], log: Path) -> None:
    target = Target(AGENT, PORT, timeout=0.3, retries=0, credentials=_creds("unone", None, None))
    for _ in range(30):  # ~10 s at most
        if proc.poll() is not None:
            pytest.fail(f"private snmpd exited: {log.read_text()[-500:]}")
        try:
            run(target, "get", [SYS_NAME])
            return
        except SnmpError:
            time.sleep(0.3)
    pytest.fail(f"private snmpd does not answer: {log.read_text()[-500:]}")


def _netsnmp_get(user: str, a: str | None, x: str | None) -> str:
    level = "authPriv" if x else "authNoPriv" if a else "noAuthNoPriv"
    argv = ["snmpget", "-v3", "-l", level, "-u", user, "-Oqv", "-t", "2", "-r", "1"]
    if a:
        argv += ["-a", a, "-A", _password("auth", user)]
    if x:
        argv += ["-x", x, "-X", _password("priv", user)]
    argv += [f"{AGENT}:{PORT}", "1.3.6.1.2.1.1.5.0"]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
        env={**os.environ, "MIBS": ""},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().strip('"')


@pytest.mark.parametrize(("user", "auth", "priv", "a", "x"), USERS, ids=[u[0] for u in USERS])
def test_every_auth_and_priv_protocol_interoperates_with_net_snmp(
    private_snmpd: str, user: str, auth: str | None, priv: str | None, a: str | None, x: str | None
) -> None:
    target = Target(private_snmpd, PORT, timeout=2.0, credentials=_creds(user, auth, priv))
    got = run(target, "get", [SYS_NAME])
    assert isinstance(got, list)
    assert got[0].value == _netsnmp_get(user, a, x).encode() == socket.gethostname().encode()
    walked = run(target, "walk", [IF_DESCR])
    assert isinstance(walked, Mapping)
    assert len(walked[IF_DESCR]) >= 2


def test_wrong_privacy_password_is_a_timeout_with_net_snmp(private_snmpd: str) -> None:
    # net-snmp drops what it cannot decrypt ("error parsing ScopedPDU") instead of reporting
    # usmStatsDecryptionErrors, so the poller sees a timeout, not `auth`.
    creds = V3Credentials(
        "ushaaes", "sha", _password("auth", "ushaaes").encode(), "aes", b"wrong-priv"
    )
    with pytest.raises(SnmpError) as err:
        run(
            Target(private_snmpd, PORT, timeout=0.5, retries=0, credentials=creds),
            "get",
            [SYS_NAME],
        )
    assert err.value.reason == Reason.timeout


def test_a_user_without_privacy_asked_for_privacy_is_auth(private_snmpd: str) -> None:
    creds = _creds("uauth", "sha256", None)
    creds = V3Credentials(creds.user, creds.auth_protocol, creds.auth_password, "aes", b"privpass1")
    with pytest.raises(SnmpError) as err:
        run(Target(private_snmpd, PORT, timeout=1.0, credentials=creds), "get", [SYS_NAME])
    assert err.value.reason == Reason.auth
    assert "usmStatsUnsupportedSecLevels" in str(err.value)
