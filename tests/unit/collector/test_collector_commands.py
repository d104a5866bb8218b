"""``collector token create``, ``backup``/``restore`` and ``install-service`` as commands."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from netwarden.collector.store import open_store
from netwarden.collector.tls import ensure_tls
from tests.cli_in_process import run_in_process
from tests.unit.collector.collector_process import run_cli
from tests.unit.collector.conftest import CONTRACT


def _db(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'collector.db'}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "either --agent ID or --user NAME"),
        (["--agent", "a1", "--user", "u"], "either --agent ID or --user NAME"),
        (["--agent", "agent-so-khcn"], "--inventory (to find the agent's site) or --site"),
        (["--agent", "agent-x", "-i", str(CONTRACT)], "'agent-x' is not in the inventory"),
        (["--agent", "agent-so-khcn", "-i", str(CONTRACT), "--site", "dc"], "disagrees"),
        (["--agent", "agent-so-khcn", "--site", "s", "--ttl", "soon"], "--ttl must be a duration"),
        (["--user", "ops"], "--role admin, responder, viewer or webhook"),
        (["--user", "ops", "--role", "root"], "--role admin, responder, viewer or webhook"),
        (["--user", "bad name", "--role", "admin"], "is not an id"),
        (["--agent", "agent-so-khcn", "--site", "so-khcn"], "no collector CA"),
    ],
)
def test_token_create_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_in_process("collector", "token", "create", *args, "--data-dir", str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    # Nothing was stored for a refused command.
    if (tmp_path / "collector.db").exists():
        store = open_store(_db(tmp_path))
        assert store.agents() == []
        store.close()


def test_join_token_carries_the_ca_hash_and_insecure_does_not(tmp_path: Path) -> None:
    fingerprint = ensure_tls(tmp_path, ["127.0.0.1"]).ca_sha256
    create = ["collector", "token", "create", "--data-dir", str(tmp_path)]
    done = run_in_process(
        *create, "--agent", "agent-so-khcn", "-i", str(CONTRACT), "--output", "json"
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["site"] == "so-khcn"
    assert answer["token"].startswith("nwj.") and answer["token"].endswith(f".{fingerprint}")
    plain = run_in_process(*create, "--agent", "agent-dc", "--site", "dc", "--insecure")
    assert plain.returncode == 0
    assert plain.stdout.strip().count(".") == 1
    store = open_store(_db(tmp_path))
    try:
        assert sorted(a.id for a in store.agents()) == ["agent-dc", "agent-so-khcn"]
        assert all(a.enrolled_at is None for a in store.agents())  # pending until redeemed
        user = run_in_process(*create, "--user", "ops", "--role", "responder")
        row = store.authenticate_user(user.stdout.strip())
        assert row is not None and (row.name, row.role) == ("ops", "responder")
        actions = {e.action for e in store.audit_entries(10)}
        assert {"join-token.create", "user-token.create"} <= actions
    finally:
        store.close()


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    fingerprint = ensure_tls(source, ["127.0.0.1"]).ca_sha256
    (source / "evidence" / "inc-1").mkdir(parents=True)
    (source / "evidence" / "inc-1" / "show-run.txt").write_text("hostname sw1\n")
    store = open_store(_db(source))
    store.create_join_token("agent-so-khcn", "so-khcn", 3600, "test", 1.0)
    store.close()
    archive = tmp_path / "backup.tar"
    done = run_in_process("collector", "backup", str(archive), "--data-dir", str(source))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds the CA key
    restored = run_in_process("collector", "restore", str(archive), "--data-dir", str(target))
    assert restored.returncode == 0, restored.stderr
    assert fingerprint in restored.stdout
    assert (target / "evidence" / "inc-1" / "show-run.txt").read_text() == "hostname sw1\n"
    assert (target / "tls" / "ca.key").read_bytes() == (source / "tls" / "ca.key").read_bytes()
    assert stat.S_IMODE((target / "tls" / "ca.key").stat().st_mode) == 0o600
    check = open_store(_db(target))
    assert [a.id for a in check.agents()] == ["agent-so-khcn"]
    check.close()
    refused = run_in_process("collector", "restore", str(archive), "--data-dir", str(target))
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    again = run_in_process(
        "collector", "restore", str(archive), "--data-dir", str(target), "--replace"
    )
    assert again.returncode == 0, again.stderr


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _tree(root: Path) -> list[str]:
    """Every path under ``root`` (what a command left there)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _collector_dir(tmp_path: Path) -> Path:
    """A data dir as a running collector leaves it: a store, TLS material, evidence."""
    source = tmp_path / "source"
    ensure_tls(source, ["127.0.0.1"])
    (source / "evidence" / "ab").mkdir(parents=True)
    (source / "evidence" / "ab" / "abcdef").write_text("hostname sw1\n")
    store = open_store(_db(source))
    store.create_join_token("agent-so-khcn", "so-khcn", 3600, "test", 1.0)
    store.close()
    return source


def test_backup_of_a_place_without_a_collector_is_refused_and_creates_nothing(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    archive = tmp_path / "b.tar"
    done = run_cli("collector", "backup", str(archive), "--data-dir", str(empty))
    assert done.returncode == 2
    assert done.stderr == (
        f"netwarden: error: {empty} holds no collector (no collector.db): give the collector's "
        "--data-dir, or its --db for PostgreSQL\n"
    )
    assert _tree(empty) == [] and not archive.exists()
    # The rest in-process: the same refusals' logic, without an interpreter start each.
    missing = tmp_path / "typo"
    done = run_in_process("collector", "backup", str(archive), "--data-dir", str(missing))
    assert done.returncode == 2 and "no such directory" in done.stderr
    assert not missing.exists() and not archive.exists()
    # A database URL naming no store (or a file without the schema) is refused the same way.
    (empty / "evidence").mkdir()
    elsewhere = tmp_path / "elsewhere.db"
    done = run_in_process("collector", "backup", str(archive), "--data-dir", str(empty),
                          "--db", f"sqlite:///{elsewhere}")  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == f"netwarden: error: no collector store at {elsewhere}\n"
    assert not elsewhere.exists()
    elsewhere.touch()
    done = run_in_process("collector", "backup", str(archive), "--data-dir", str(empty),
                          "--db", f"sqlite:///{elsewhere}")  # fmt: skip
    assert done.returncode == 1 and "holds no collector store (no schema)" in done.stderr
    assert not archive.exists()


def test_a_refused_restore_says_so_in_one_line_and_creates_nothing(tmp_path: Path) -> None:
    source = _collector_dir(tmp_path)
    archive = tmp_path / "backup.tar"
    backup = run_in_process("collector", "backup", str(archive), "--data-dir", str(source))
    assert backup.returncode == 0, backup.stderr
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all")
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    # Cut just before its last member: every member read is whole, so only the missing end
    # marker tells that evidence may be missing.
    at_boundary = tmp_path / "boundary.tar"
    with tarfile.open(archive) as whole, tarfile.open(at_boundary, "w") as out:
        for member in whole.getmembers()[:-1]:
            out.addfile(member, whole.extractfile(member) if member.isfile() else None)
    plain_tar = tmp_path / "other.tar"
    subprocess.run(["tar", "-cf", str(plain_tar), "-C", str(tmp_path), "junk.tar"], check=True)
    existing = tmp_path / "existing"
    existing.mkdir()
    for bad, message in [
        (junk, f"{junk} is not a netwarden collector backup (not a tar file)"),
        (cut, f"{cut} is cut short"),
        (at_boundary, f"{at_boundary} is cut short (no netwarden-backup.end)"),
        (plain_tar, f"{plain_tar} is not a netwarden collector backup (no netwarden-backup.json)"),
    ]:
        for target in (tmp_path / "new" / "data", existing):
            # In-process: the refusals are the command's logic; the process boundary (exit
            # code, stderr) is proven by the restore under a umask below and the backup ones.
            done = run_in_process("collector", "restore", str(bad), "--data-dir", str(target))
            assert done.returncode == 1, (bad, done.stderr)
            assert done.stderr.startswith(f"netwarden: error: {message}"), done.stderr
            assert len(done.stderr.splitlines()) == 1, done.stderr
            assert not (tmp_path / "new").exists()
            assert _tree(existing) == []


def test_what_restore_writes_is_private_to_the_collector(tmp_path: Path) -> None:
    """Under a shell's umask 022, restore still makes the data dir 0700 and every file in it
    (the store, its WAL files, keys, certificates, evidence) 0600, every folder 0700."""
    source = _collector_dir(tmp_path)
    archive = tmp_path / "backup.tar"
    assert run_cli("collector", "backup", str(archive), "--data-dir", str(source)).returncode == 0
    target = tmp_path / "target"
    done = run_cli("collector", "restore", str(archive), "--data-dir", str(target), umask=0o022)
    assert done.returncode == 0, done.stderr
    assert _mode(target) == 0o700
    assert _mode(target / "collector.db") == 0o600
    for path in target.rglob("*"):
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    # A store made by `token create` before the collector ever ran is private too.
    fresh = tmp_path / "fresh"
    done = run_cli("collector", "token", "create", "--user", "ops", "--role", "viewer",
                   "--data-dir", str(fresh), umask=0o022)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (_mode(fresh), _mode(fresh / "collector.db")) == (0o700, 0o600)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-connections", "0"], "--max-connections must be at least 1, got 0"),
        (["--max-connections-per-address", "0"], "--max-connections-per-address must be from 1"),
        (["--max-connections", "10", "--max-connections-per-address", "11"],
         "--max-connections-per-address must be from 1 to --max-connections (10), got 11"),
        (["--read-timeout", "soon"], "--read-timeout must be a duration"),
        (["--read-idle-timeout", "0s"], "--read-idle-timeout must be a duration"),
    ],
)  # fmt: skip
def test_serve_refuses_bad_connection_limits_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    data = tmp_path / "data"
    # One case as a real process (the exit code and stderr a shell sees); the others check the
    # same validation in-process (pytest-timeout bounds a regression that would serve).
    run = run_cli if args == ["--max-connections", "0"] else run_in_process
    done = run("collector", "serve", "-i", str(CONTRACT), "--data-dir", str(data), *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not data.exists()  # refused before anything was made


def test_install_service_dry_run_renders_a_confined_unit(tmp_path: Path) -> None:
    options = ["--dry-run", "--data-dir", "/srv/nw", "-i", str(CONTRACT), "--user", "nwcol"]
    done = run_in_process("collector", "install-service", *options)
    assert done.returncode == 0, done.stderr
    unit = done.stdout
    for line in ["User=nwcol", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "ReadWritePaths=/srv/nw", "PrivateTmp=yes", "Restart=on-failure",
                 "CapabilityBoundingSet=\n", "AmbientCapabilities=\n",
                 "LimitNOFILE=65536"]:  # fmt: skip
        assert line in unit
    assert f"--inventory {CONTRACT}" in unit and "collector serve --data-dir /srv/nw" in unit
    low = run_in_process("collector", "install-service", "--dry-run", "--listen", "0.0.0.0:443")
    assert "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" in low.stdout
    if shutil.which("systemd-analyze") is None:
        return
    path = tmp_path / "netwarden-collector.service"
    path.write_text(unit, encoding="utf-8")
    verified = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert "Unknown" not in verified.stderr and "ignoring" not in verified.stderr, verified.stderr
