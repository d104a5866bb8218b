"""Enrolment: the CA pinned by the join token's hash, the insecure rules, the state dir."""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from netwarden.agent.sync.client import CollectorClient
from netwarden.agent.sync.enroll import (
    CA_MISMATCH,
    JoinToken,
    check_transport,
    enroll,
    parse_token,
)
from netwarden.agent.sync.state_dir import StateDir
from netwarden.errors import NetwardenError, UsageError
from tests.unit.agent.sync.conftest import AGENT, SITE, run_async
from tests.unit.agent.sync.fake_collector import FakeCollector
from tests.unit.agent.sync.server import ServerThread
from tests.unit.agent.sync.tls import make_tls

HASH = "ab" * 32


def test_a_matching_ca_is_pinned_and_the_state_dir_is_complete(
    tmp_path: Path, fake: FakeCollector, server: ServerThread
) -> None:
    path = tmp_path / "state"
    identity = asyncio.run(enroll(server.url, fake.join_token(AGENT, SITE), path))
    assert (identity.agent, identity.site, identity.insecure) == (AGENT, SITE, False)
    state = StateDir(path)
    assert state.read_identity() == identity
    assert state.ca_pem() == fake.ca_pem
    credential = state.credential_path
    assert stat.S_IMODE(credential.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert credential.read_text().strip() == fake.agents[AGENT].credential
    saved = json.loads(state.identity_path.read_text())
    assert saved["collector"] == server.url and saved["enrolled_at"] > 0

    async def heartbeat() -> int | None:
        # The stored credential and CA are enough to talk to the collector over verified TLS.
        client = CollectorClient(identity.collector, credential=state.credential(),
                                 ca_pem=state.ca_pem())  # fmt: skip
        reply = await client.post_json(f"/api/v1/agents/{AGENT}/heartbeat", {"sent_at": 1.0})
        await client.aclose()
        return reply.status

    assert asyncio.run(heartbeat()) == 200


def test_a_ca_that_does_not_match_the_token_is_refused_and_nothing_is_written(
    tmp_path: Path, fake: FakeCollector, server: ServerThread
) -> None:
    other_ca = make_tls(tmp_path / "other").ca_sha256
    token = f"{fake.join_token(AGENT, SITE, with_hash=False)}.{other_ca}"
    path = tmp_path / "state"
    with pytest.raises(NetwardenError) as caught:
        asyncio.run(enroll(server.url, token, path))
    assert str(caught.value) == CA_MISMATCH
    assert not StateDir(path).is_enrolled()
    assert not StateDir(path).credential_path.exists()
    assert fake.agents[AGENT].credential is None  # the token never left the agent


def test_the_cli_says_so_in_one_line(
    tmp_path: Path, fake: FakeCollector, server: ServerThread
) -> None:
    token = fake.join_token(AGENT, SITE, with_hash=False) + "." + HASH
    done = subprocess.run(
        [sys.executable, "-m", "netwarden", "agent", "enroll", "--collector", server.url,
         "--token", token, "--state-dir", str(tmp_path / "state")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == f"netwarden: error: {CA_MISMATCH}\n"
    assert token not in done.stderr


def test_an_enrolled_state_dir_is_not_overwritten_without_force(
    tmp_path: Path, fake: FakeCollector, server: ServerThread
) -> None:
    path = tmp_path / "state"
    asyncio.run(enroll(server.url, fake.join_token(AGENT, SITE), path))
    first = StateDir(path).credential_path.read_text()
    with pytest.raises(NetwardenError, match="already enrolled as agent agent-a: add --force"):
        asyncio.run(enroll(server.url, fake.join_token(AGENT, SITE), path))
    assert StateDir(path).credential_path.read_text() == first
    asyncio.run(enroll(server.url, fake.join_token(AGENT, SITE), path, force=True))
    assert StateDir(path).credential_path.read_text() != first


def test_re_enrolling_as_another_agent_forgets_the_old_agents_data(
    tmp_path: Path, fake: FakeCollector, server: ServerThread
) -> None:
    path = tmp_path / "state"
    asyncio.run(enroll(server.url, fake.join_token(AGENT, SITE), path))
    state = StateDir(path)
    state.write_assignment(b"{}", "etag-1")
    state.queue_path.write_bytes(b"old queue")
    asyncio.run(enroll(server.url, fake.join_token("agent-b", SITE), path, force=True))
    assert state.read_identity().agent == "agent-b"
    assert not state.has_assignment() and not state.queue_path.exists()


def test_a_used_token_is_refused_by_the_collector(
    tmp_path: Path, fake: FakeCollector, server: ServerThread
) -> None:
    token = fake.join_token(AGENT, SITE)
    asyncio.run(enroll(server.url, token, tmp_path / "one"))
    with pytest.raises(NetwardenError, match="refused to enrol this agent: HTTP 401: join token"):
        asyncio.run(enroll(server.url, token, tmp_path / "two"))
    assert not StateDir(tmp_path / "two").is_enrolled()


def test_an_unreachable_collector_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(NetwardenError, match="cannot fetch the collector CA: cannot reach"):
        asyncio.run(enroll("https://127.0.0.1:9", f"nwj.s3cret.{HASH}", tmp_path / "s"))


def test_a_failed_enrolment_leaves_nothing_and_the_next_attempt_just_works(
    tmp_path: Path, fake: FakeCollector, server: ServerThread
) -> None:
    """A first attempt against a collector that is down (or a wrong CA, or a spent token)
    leaves no state dir, nor its parents; in a dir the admin made beforehand, not even
    agent.lock. The next attempt needs no clean-up."""
    fresh = tmp_path / "var" / "agents" / "a1"
    with pytest.raises(NetwardenError, match="cannot reach"):
        asyncio.run(enroll("https://127.0.0.1:9", f"nwj.s3cret.{HASH}", fresh))
    assert not (tmp_path / "var").exists()
    made = tmp_path / "made-by-admin"
    made.mkdir()
    wrong_ca = f"{fake.join_token(AGENT, SITE, with_hash=False)}.{HASH}"
    with pytest.raises(NetwardenError, match="CA does not match"):
        asyncio.run(enroll(server.url, wrong_ca, made))
    assert list(made.iterdir()) == []
    spent = fake.join_token(AGENT, SITE)
    asyncio.run(enroll(server.url, spent, tmp_path / "other"))
    with pytest.raises(NetwardenError, match="refused to enrol"):
        asyncio.run(enroll(server.url, spent, fresh))
    assert not (tmp_path / "var").exists()
    identity = asyncio.run(enroll(server.url, fake.join_token(AGENT, SITE), fresh))
    assert StateDir(fresh).read_identity() == identity
    # An enrolled dir whose re-enrolment fails keeps everything it had, lock file included.
    before = sorted(p.name for p in fresh.iterdir())
    with pytest.raises(NetwardenError, match="refused to enrol"):
        asyncio.run(enroll(server.url, spent, fresh, force=True))
    assert sorted(p.name for p in fresh.iterdir()) == before
    assert StateDir(fresh).read_identity() == identity


def test_the_cli_leaves_no_state_dir_when_enrolment_fails(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = subprocess.run(
        [sys.executable, "-m", "netwarden", "agent", "enroll", "--collector",
         "https://127.0.0.1:9", "--token", f"nwj.s3cret.{HASH}", "--state-dir", str(state)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert not state.exists()


@pytest.mark.parametrize(
    ("url", "token", "insecure", "message"),
    [
        ("https://c:8443", "nwj.s", False, "has no CA hash, so the collector's certificate"),
        ("https://c:8443", "nwj.s", True, "has no CA hash, so the collector's certificate"),
        ("http://c:8080", "nwj.s", False, "plain HTTP sends the credential in clear"),
        ("http://c:8080", f"nwj.s.{HASH}", True, "this join token pins the collector's CA: use"),
        ("https://c:8443", f"nwj.s.{HASH}", True, "--insecure is for a plain-HTTP lab collector"),
        ("ftp://c", f"nwj.s.{HASH}", False, "must be an http:// or https:// URL"),
    ],
)
def test_insecure_rules(url: str, token: str, insecure: bool, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace(".", r"\.")):
        check_transport(url, parse_token(token), insecure=insecure)


def test_safe_combinations_pass() -> None:
    check_transport("https://c:8443", parse_token(f"nwj.s.{HASH}"), insecure=False)
    check_transport("http://c:8080", parse_token("nwj.s"), insecure=True)


@pytest.mark.parametrize("text", ["nwx.s", "nwj.", "nwj", "nwj.s.nothex", "nwj.a.b.c", "s3cret"])
def test_malformed_tokens_are_refused_without_echoing_them(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_token(text)
    assert text not in str(caught.value) or text in ("nwj", "nwj.")


def test_token_parts_and_repr() -> None:
    token = parse_token(f"nwj.s3cret.{HASH.upper()}")
    assert token == JoinToken(f"nwj.s3cret.{HASH.upper()}", HASH)
    assert "s3cret" not in repr(token)


@run_async
async def test_insecure_enrolment_against_a_plain_http_collector(tmp_path: Path) -> None:
    fake = FakeCollector(None)
    thread = ServerThread(fake.app())
    thread.start()
    try:
        identity = await enroll(thread.url, fake.join_token(AGENT, SITE), tmp_path / "s",
                                insecure=True)  # fmt: skip
    finally:
        thread.close()
    assert identity.insecure
    assert StateDir(tmp_path / "s").ca_pem() is None
