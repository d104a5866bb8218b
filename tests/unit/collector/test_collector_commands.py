"""``collector token create``, ``backup``/``restore`` and ``install-service`` as commands."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from netwarden.collector.store import open_store
from netwarden.collector.tls import ensure_tls
from tests.cli_in_process import run_in_process
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


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all")
    done = run_in_process("collector", "restore", str(junk), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "cannot read the backup" in done.stderr


def test_install_service_dry_run_renders_a_confined_unit(tmp_path: Path) -> None:
    options = ["--dry-run", "--data-dir", "/srv/nw", "-i", str(CONTRACT), "--user", "nwcol"]
    done = run_in_process("collector", "install-service", *options)
    assert done.returncode == 0, done.stderr
    unit = done.stdout
    for line in ["User=nwcol", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "ReadWritePaths=/srv/nw", "PrivateTmp=yes", "Restart=on-failure",
                 "CapabilityBoundingSet=\n", "AmbientCapabilities=\n"]:  # fmt: skip
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
