"""Heartbeats, the agent list, user tokens and roles."""

import dataclasses

import pytest

from netwarden.collector.store import (
    Heartbeat,
    Role,
    Store,
    StoreError,
    StoreInputError,
    UnknownAgentError,
    UserRow,
)

HB = Heartbeat(
    sent_at=1010.5,
    version="0.2.0",
    started_at=900.0,
    devices_assigned=12,
    devices_healthy=11,
    polls_ok=3_000_000_000,  # past 32 bits: long-running counters fit
    polls_failed=7,
    queue_depth=3,
    queue_dropped=0,
    assignment_etag="abc123",
    advertise="198.18.5.10:9500",
    spool_depth=4_000_000_000,  # a push agent after a long outage
    spool_oldest_age=3600.5,
)


def test_heartbeat_is_recorded_with_last_seen_and_clock_offset(store: Store) -> None:
    store.redeem_join_token(
        store.create_join_token("ag-1", "hn", 60, "ana", 0.0), "h", "0.1.0", 1.0
    )
    store.record_heartbeat("ag-1", HB, received_at=1000.0)
    row = store.agent("ag-1")
    assert row is not None
    assert row.last_seen == 1000.0
    assert row.clock_offset == pytest.approx(10.5)
    got = {
        f: getattr(row, f)
        for f in (
            "version",
            "started_at",
            "devices_assigned",
            "devices_healthy",
            "polls_ok",
            "polls_failed",
            "queue_depth",
            "queue_dropped",
            "assignment_etag",
            "advertise",
            "spool_depth",
            "spool_oldest_age",
        )
    }
    want = dataclasses.asdict(HB)
    del want["sent_at"]
    assert got == want
    # A later heartbeat replaces the figures; one without an address clears it.
    store.record_heartbeat(
        "ag-1", dataclasses.replace(HB, sent_at=1995.0, advertise=None), received_at=2000.0
    )
    row = store.agent("ag-1")
    assert row is not None and row.last_seen == 2000.0 and row.clock_offset == pytest.approx(-5.0)
    assert row.advertise is None
    assert store.audit_entries(10)[0].action == "agent.enrol"  # telemetry is not audited


def test_unknown_agents_are_errors_for_changes_and_none_for_lookups(store: Store) -> None:
    assert store.agent("ghost") is None
    with pytest.raises(UnknownAgentError, match="agent ghost is not known"):
        store.record_heartbeat("ghost", HB, 1.0)
    with pytest.raises(UnknownAgentError):
        store.revoke_agent("ghost", "ana", 1.0)
    assert isinstance(UnknownAgentError("x"), StoreError)


def test_agents_lists_pending_enrolled_and_revoked_by_id(store: Store) -> None:
    store.create_join_token("b-pending", "s2", 60, "ana", 0.0)
    store.redeem_join_token(store.create_join_token("a-up", "s1", 60, "ana", 0.0), "h", "v", 1.0)
    store.redeem_join_token(store.create_join_token("c-gone", "s1", 60, "ana", 0.0), "h", "v", 1.0)
    store.revoke_agent("c-gone", "ana", 2.0)
    rows = store.agents()
    assert [(r.id, r.site, r.enrolled_at, r.revoked) for r in rows] == [
        ("a-up", "s1", 1.0, False),
        ("b-pending", "s2", None, False),
        ("c-gone", "s1", 1.0, True),
    ]


def test_user_tokens_carry_roles_and_revocation_kills_all_of_a_users_tokens(store: Store) -> None:
    admin = store.create_user_token("ana", "admin", "bootstrap", 1.0)
    viewer = store.create_user_token("ana", "viewer", "ana", 2.0)
    bob = store.create_user_token("bob", "responder", "ana", 3.0)
    assert admin.startswith("nwu.ana.") and admin != viewer
    want: list[tuple[str, str, Role]] = [
        (admin, "ana", "admin"),
        (viewer, "ana", "viewer"),
        (bob, "bob", "responder"),
    ]
    for token, name, role in want:
        assert store.authenticate_user(token) == UserRow(name=name, role=role)
    secret = bob.rpartition(".")[2]
    for wrong in (f"nwu.ana.{secret}", bob[:-2], "nwu.bob.", "", secret, f"nwa.bob.{secret}"):
        assert store.authenticate_user(wrong) is None, wrong

    assert store.revoke_user_tokens("ana", "bob", 4.0) == 2
    assert store.authenticate_user(admin) is None and store.authenticate_user(viewer) is None
    assert store.authenticate_user(bob) is not None
    assert store.revoke_user_tokens("ana", "bob", 5.0) == 0  # nothing left to revoke
    with pytest.raises(StoreError, match="user carol has no tokens"):
        store.revoke_user_tokens("carol", "bob", 5.0)


def test_bad_roles_and_names_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown role 'root'"):
        store.create_user_token("ana", "root", "x", 1.0)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="bad user name"):
        store.create_user_token("a b", "viewer", "x", 1.0)
    assert store.audit_entries(10) == []  # a refused change leaves no trace


def test_values_that_do_not_fit_are_refused_alike_on_both_databases(store: Store) -> None:
    secret = store.create_join_token("ag-1", "hn", 60, "ana", 0.0)
    with pytest.raises(StoreInputError, match="hostname must be 1-255 characters"):
        store.redeem_join_token(secret, "h" * 256, "v", 1.0)
    store.redeem_join_token(secret, "h", "v", 1.0)  # the refused body did not use the token up
    for bad, message in (
        (dataclasses.replace(HB, advertise="x" * 256), "advertise must be"),
        (dataclasses.replace(HB, devices_assigned=2**31), "devices_assigned must be 0-2147483647"),
        (dataclasses.replace(HB, queue_dropped=-1), "queue_dropped must be"),
        (dataclasses.replace(HB, version="v\x00"), "without NUL"),
    ):
        with pytest.raises(StoreInputError, match=message):
            store.record_heartbeat("ag-1", bad, 5.0)
    row = store.agent("ag-1")
    assert row is not None and row.last_seen is None
    with pytest.raises(StoreInputError, match="agent id must be 1-63"):
        store.create_join_token("a" * 64, "hn", 60, "ana", 0.0)
    with pytest.raises(StoreInputError, match="lifetime must be positive"):
        store.create_join_token("ag-2", "hn", 0, "ana", 0.0)
