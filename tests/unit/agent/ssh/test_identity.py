"""Whom a session reached: pinned host keys (files, fingerprints as OpenSSH prints them), the
prompt's name, and a first contact pinned only once the session proved its name."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from netwarden.agent.ssh.fake import FakeSshRunner, fake_host_key
from netwarden.agent.ssh.identity import (
    HostKey,
    HostKeyPins,
    SessionCheck,
    known_hosts_dir,
    parse_known_hosts_line,
    same_name,
)
from netwarden.agent.ssh.types import SshError, SshReason
from netwarden.errors import NetwardenError, UsageError

from .helpers import target


def test_names_compare_case_insensitively_up_to_the_first_dot() -> None:
    assert same_name("SW-SO-TC-CORE", "sw-so-tc-core")
    assert same_name("sw-so-tc-core.thainguyen.gov.vn", "sw-so-tc-core")
    assert same_name("core-rtr", "Core-Rtr.lab")
    assert not same_name("sw-so-khcn-core", "sw-p-phan-dinh-phung-core")
    assert not same_name("sw-1", "sw-10")


def test_the_fingerprint_is_the_one_ssh_keygen_prints(tmp_path: Path) -> None:
    key_file = tmp_path / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_file)],
                   check=True, timeout=30)  # fmt: skip
    public = (tmp_path / "host_key.pub").read_text()
    kind, blob = public.split()[:2]
    listed = subprocess.run(["ssh-keygen", "-l", "-f", str(tmp_path / "host_key.pub")],
                            capture_output=True, text=True, check=True, timeout=30)  # fmt: skip
    shown = listed.stdout
    assert HostKey(kind, blob).fingerprint == shown.split()[1]
    # the pinned file is a known_hosts file ssh-keygen itself can read
    pins = HostKeyPins(tmp_path / "known_hosts")
    pins.pin("sw-1", HostKey(kind, blob), "198.18.2.2", 2222, "first contact")
    found = subprocess.run(["ssh-keygen", "-F", "[198.18.2.2]:2222", "-f",
                            str(tmp_path / "known_hosts" / "sw-1")],
                           capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert found.returncode == 0 and blob in found.stdout


def test_pins_round_trip_and_are_per_device(tmp_path: Path) -> None:
    pins = HostKeyPins(tmp_path / "kh")
    assert pins.pinned("sw-1") is None  # nothing pinned, no directory yet
    key = fake_host_key("sw-1")
    pins.pin("sw-1", key, "198.18.1.2", 22, "first contact")
    assert pins.pinned("sw-1") == key
    assert pins.pinned("sw-2") is None
    text = (tmp_path / "kh" / "sw-1").read_text()
    assert text.startswith("# sw-1: first contact, ")
    assert f"\n198.18.1.2 ssh-ed25519 {key.blob}\n" in text  # port 22: no brackets
    assert pins.forget("sw-1") and not pins.forget("sw-1")
    with pytest.raises(UsageError, match="is not a device id"):
        pins.pinned("../etc/passwd")


def test_a_damaged_pin_file_is_one_readable_error(tmp_path: Path) -> None:
    (tmp_path / "sw-1").write_text("198.18.1.2 ssh-ed25519 not*base64\n")
    with pytest.raises(NetwardenError, match=r"sw-1: not a base64 key"):
        HostKeyPins(tmp_path).pinned("sw-1")
    assert parse_known_hosts_line("# a comment") is None
    with pytest.raises(ValueError, match="not a known_hosts line"):
        parse_known_hosts_line("just-a-host")


def test_where_pins_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETWARDEN_KNOWN_HOSTS", raising=False)
    assert known_hosts_dir(None) == Path("/var/lib/netwarden/known_hosts")
    assert known_hosts_dir(None, tmp_path) == tmp_path / "known_hosts"  # an enrolled agent
    monkeypatch.setenv("NETWARDEN_KNOWN_HOSTS", str(tmp_path / "env"))
    assert known_hosts_dir(None, tmp_path) == tmp_path / "env"
    assert known_hosts_dir(tmp_path / "opt", tmp_path) == tmp_path / "opt"


def test_a_first_contact_is_pinned_once_the_session_passed(tmp_path: Path) -> None:
    pins = HostKeyPins(tmp_path)
    check = SessionCheck(target("sw-1"), pins)
    check.host_key(fake_host_key("sw-1"))
    check.prompt("sw-1")
    assert pins.pinned("sw-1") is None  # not before the session is through
    check.passed()
    assert pins.pinned("sw-1") == fake_host_key("sw-1")
    again = SessionCheck(target("sw-1"), pins)
    again.host_key(fake_host_key("sw-1"))  # the same key: accepted


def test_a_changed_key_is_refused_naming_both_fingerprints(tmp_path: Path) -> None:
    pins = HostKeyPins(tmp_path)
    pins.pin("sw-1", fake_host_key("sw-1"), "127.0.0.1", 2222, "first contact")
    check = SessionCheck(target("sw-1"), pins)
    with pytest.raises(SshError) as caught:
        check.host_key(fake_host_key("another-box"))
    assert caught.value.reason is SshReason.identity
    message = str(caught.value)
    assert fake_host_key("sw-1").fingerprint in message
    assert fake_host_key("another-box").fingerprint in message
    assert "`netwarden config trust sw-1`" in message and "\n" not in message


def test_a_prompt_naming_another_device_is_refused_and_pins_nothing(tmp_path: Path) -> None:
    pins = HostKeyPins(tmp_path)
    wanted = dataclasses.replace(
        target("sw-p-phan-dinh-phung-core"),
        expected_hostname="sw-p-phan-dinh-phung-core",
        name_required=True,
    )
    check = SessionCheck(wanted, pins)
    check.host_key(fake_host_key("sw-so-khcn-core"))
    with pytest.raises(SshError) as caught:
        check.prompt("sw-so-khcn-core")
    assert caught.value.reason is SshReason.identity
    assert "'sw-so-khcn-core'" in str(caught.value)
    assert "'sw-p-phan-dinh-phung-core'" in str(caught.value)
    assert pins.pinned("sw-p-phan-dinh-phung-core") is None
    # a target that asks for no name accepts any prompt
    SessionCheck(target("sw-1"), pins).prompt("whatever")


def test_a_collection_that_meets_another_name_goes_on_but_pins_nothing(tmp_path: Path) -> None:
    pins = HostKeyPins(tmp_path)
    wanted = dataclasses.replace(target("sw-p"), expected_hostname="sw-p")  # not required
    check = SessionCheck(wanted, pins)
    check.host_key(fake_host_key("sw-q"))
    check.prompt("sw-q")  # no error: SSH collections behave as before
    check.passed()
    assert pins.pinned("sw-p") is None
    right = SessionCheck(wanted, pins)
    right.host_key(fake_host_key("sw-p"))
    right.prompt("SW-P")
    right.passed()
    assert pins.pinned("sw-p") == fake_host_key("sw-p")


def test_the_fake_runner_meets_the_same_checks(tmp_path: Path) -> None:
    pins = HostKeyPins(tmp_path)
    runner = FakeSshRunner({"show version": "v"}, pins=pins,
                           host_keys={"sw-2": fake_host_key("sw-1")})  # fmt: skip
    assert runner.run(target("sw-1"), ["show version"]) == {"show version": "v"}
    assert pins.pinned("sw-1") == fake_host_key("sw-1")
    pins.pin("sw-2", fake_host_key("sw-2"), "127.0.0.1", 2222, "first contact")
    with pytest.raises(SshError, match="host key changed"):
        runner.run(target("sw-2"), ["show version"])
    assert runner.offered_host_key(target("sw-2")) == fake_host_key("sw-1")


def test_a_pin_that_cannot_be_written_does_not_fail_the_session(tmp_path: Path) -> None:
    pins = HostKeyPins(tmp_path)
    (tmp_path / f".sw-1.{os.getpid()}.tmp").mkdir()  # where the new pin would be written
    check = SessionCheck(target("sw-1"), pins)
    check.host_key(fake_host_key("sw-1"))
    check.passed()  # logged, not raised: the session itself was fine
    assert pins.pinned("sw-1") is None


def test_a_pin_that_cannot_be_read_fails_the_session_as_the_agents_problem(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    check = SessionCheck(target("sw-1"), HostKeyPins(blocker / "kh"))
    with pytest.raises(SshError, match="cannot read the pinned host key of sw-1") as caught:
        check.host_key(fake_host_key("sw-1"))
    assert caught.value.reason is SshReason.other
