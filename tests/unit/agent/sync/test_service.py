"""install-service: the template unit, the instance name of a state dir, the install steps."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netwarden.agent.sync.service import (
    InstallPlan,
    escape_path,
    install,
    instance,
    render_env,
    render_unit,
)
from netwarden.agent.sync.state_dir import AgentIdentity, StateDir

PATHS = ["/var/lib/netwarden/agent-a", "/srv/nw/đơn vị.x/", "//a//b/", "/.hidden/x", "/"]


@pytest.mark.parametrize("path", PATHS)
def test_instance_names_match_systemd_escape(path: str) -> None:
    expected = {"/var/lib/netwarden/agent-a": "var-lib-netwarden-agent\\x2da", "/": "-"}
    tool = shutil.which("systemd-escape")
    if tool is not None:
        done = subprocess.run([tool, "--path", path], capture_output=True, text=True, check=True)
        assert escape_path(Path(path)) == done.stdout.strip()
    elif path in expected:
        assert escape_path(Path(path)) == expected[path]
    assert instance(Path("/var/lib/netwarden/agent-a")) == (
        "netwarden-agent@var-lib-netwarden-agent\\x2da.service"
    )


def test_the_unit_is_unprivileged_but_for_icmp_and_the_event_ports() -> None:
    unit = render_unit("/opt/netwarden/bin/netwarden", "netwarden")
    lines = set(unit.splitlines())
    for directive in (
        "User=netwarden",
        "ExecStart=/opt/netwarden/bin/netwarden agent run --state-dir %f $NETWARDEN_AGENT_ARGS",
        "EnvironmentFile=-%f/agent.env",
        # ICMP, and the trap (162) and syslog (514) ports.
        "AmbientCapabilities=CAP_NET_RAW CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_BIND_SERVICE",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=%f",
        "Restart=on-failure",
        "RestartSec=5",
        "WantedBy=multi-user.target",
    ):
        assert directive in lines, directive
    assert sum(1 for line in lines if line.startswith("CapabilityBoundingSet=")) == 1


def test_per_agent_options_go_to_agent_env() -> None:
    env = render_env("10.0.0.5:9431", "agency-1.example:9431")
    args = "--listen 10.0.0.5:9431 --advertise agency-1.example:9431"
    assert env == f"NETWARDEN_AGENT_ARGS='{args}'\n"
    assert render_env(None, None) == "NETWARDEN_AGENT_ARGS=''\n"
    # ProtectSystem=strict: config backups must go inside the state dir, the one writable place.
    assert render_env(None, None, Path("/var/lib/nw/a")).splitlines() == [
        "NETWARDEN_AGENT_ARGS=''",
        "NETWARDEN_CONFIG_STORE=/var/lib/nw/a/configs",
    ]


def test_systemd_analyze_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    exe = Path(sys.executable).parent / "netwarden"
    (tmp_path / "netwarden-agent@.service").write_text(render_unit(str(exe), "root"))
    state = tmp_path / "state"
    state.mkdir()
    unit = tmp_path / instance(state)
    unit.symlink_to(tmp_path / "netwarden-agent@.service")
    done = subprocess.run([analyze, "verify", "--man=no", str(unit)], capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    if "Failed to" in done.stderr and "bus" in done.stderr.lower():
        pytest.skip(f"systemd-analyze cannot run here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert "netwarden-agent@" not in done.stderr, done.stderr


def _enrolled(path: Path) -> StateDir:
    state = StateDir(path)
    state.create()
    state.write_identity(AgentIdentity("agent-a", "s", "https://127.0.0.1:9", False, 1.0))
    state.write_credential("nwa.agent-a.x")
    return state


def test_install_writes_the_unit_and_env_and_prints_how_to_start(tmp_path: Path) -> None:
    state = _enrolled(tmp_path / "state")
    user = "root"  # exists everywhere, so no useradd runs in the test
    unit = render_unit("/usr/bin/netwarden", user)
    env = render_env("127.0.0.1:9431", None)
    plan = InstallPlan(state.path, user, tmp_path / "units" / "netwarden-agent@.service", unit, env)
    ran: list[list[str]] = []
    done = install(plan, start=True, run=ran.append)
    assert ran == []  # no useradd (the user exists), no systemctl (systemd does not run here)
    assert plan.unit_path.read_text() == plan.unit_text
    assert state.env_path.read_text() == "NETWARDEN_AGENT_ARGS='--listen 127.0.0.1:9431'\n"
    assert done[-1] == f"to start it: systemctl enable --now '{plan.instance}'"
    assert install(plan, start=True, run=ran.append) == done  # idempotent


def test_a_missing_user_is_created_as_a_system_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netwarden.agent.sync import service

    state = _enrolled(tmp_path / "state")
    monkeypatch.setattr(service, "user_exists", lambda name: False)
    plan = InstallPlan(state.path, "root", tmp_path / "u.service", "x", "y")
    ran: list[list[str]] = []
    done = install(plan, start=False, run=ran.append)
    assert ran == [["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                    "/nonexistent", "--shell", "/usr/sbin/nologin", "root"]]  # fmt: skip
    assert done[0] == "created system user root"


def test_dry_run_prints_and_changes_nothing(tmp_path: Path) -> None:
    state = _enrolled(tmp_path / "state")
    done = subprocess.run(
        [sys.executable, "-m", "netwarden", "agent", "install-service", "--state-dir",
         str(state.path), "--dry-run", "--listen", "127.0.0.1:9431",
         "--unit-dir", str(tmp_path / "units"), "--executable", "/usr/bin/netwarden"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ExecStart=/usr/bin/netwarden agent run --state-dir %f" in done.stdout
    assert f"# instance: {instance(state.path)}" in done.stdout
    assert not (tmp_path / "units").exists() and not state.env_path.exists()
    assert os.stat(state.path).st_uid == os.getuid()


def test_install_service_refuses_a_state_dir_that_is_not_enrolled(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "netwarden", "agent", "install-service", "--state-dir",
         str(tmp_path / "nothing"), "--dry-run"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("netwarden: error: state dir ") and "not enrolled" in done.stderr
