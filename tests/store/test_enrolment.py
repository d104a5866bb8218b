"""Join tokens, enrolment and agent credentials."""

from functools import partial

import pytest
import sqlalchemy as sa

from netwarden.collector.store import Store, TokenError, open_store
from netwarden.collector.store import engine as db
from netwarden.collector.store.schema import TABLES
from tests.store.race import race


def _all_text(url: str) -> str:
    """Every value of every table as one string (to look for secrets)."""
    engine = db.create(db.parse_url(url))
    with engine.connect() as conn:
        text = repr([list(conn.execute(sa.select(t))) for t in TABLES])
    engine.dispose()
    return text


def test_join_token_is_one_time_and_only_hashes_are_stored(store: Store, store_url: str) -> None:
    secret = store.create_join_token("ag-1", "hn", 3600, "ana", 1000.0)
    assert "." not in secret and len(secret) >= 40
    pending = store.agent("ag-1")
    assert pending is not None and pending.enrolled_at is None and not pending.revoked

    enrolment = store.redeem_join_token(secret, "host-a", "0.1.0", 1001.0)
    assert (enrolment.agent_id, enrolment.site) == ("ag-1", "hn")
    assert enrolment.credential.startswith("nwa.ag-1.")
    row = store.agent("ag-1")
    assert row is not None and (row.enrolled_at, row.hostname, row.version) == (
        1001.0,
        "host-a",
        "0.1.0",
    )

    with pytest.raises(TokenError, match=r"^join token already used"):
        store.redeem_join_token(secret, "host-b", "0.1.0", 1002.0)
    everything = _all_text(store_url)
    assert secret not in everything
    assert enrolment.credential.rpartition(".")[2] not in everything


def test_expired_and_unknown_join_tokens_are_refused(store: Store) -> None:
    secret = store.create_join_token("ag-1", "hn", 60, "ana", 1000.0)
    with pytest.raises(TokenError, match="join token expired at 1970-01-01 00:17:40 UTC"):
        store.redeem_join_token(secret, "h", "v", 1060.0)
    with pytest.raises(TokenError, match="not known"):
        store.redeem_join_token("made-up", "h", "v", 1000.0)
    # A refused token stays unused and the agent stays pending.
    row = store.agent("ag-1")
    assert row is not None and row.enrolled_at is None


def test_credential_authentication(store: Store) -> None:
    cred = store.redeem_join_token(
        store.create_join_token("a.b.c", "hn", 60, "ana", 0.0), "h", "v", 1.0
    ).credential
    other = store.redeem_join_token(
        store.create_join_token("ag-2", "hn", 60, "ana", 0.0), "h", "v", 1.0
    ).credential
    store.create_join_token("pending", "hn", 60, "ana", 0.0)  # enrolment pending: no credential
    assert store.authenticate_agent("nwa.pending.x") is None
    me = store.authenticate_agent(cred)
    assert me is not None and me.id == "a.b.c"  # dots in the id do not confuse the split
    assert store.authenticate_agent(other) is not None
    secret = cred.rpartition(".")[2]
    for wrong in (
        cred[:-1] + ("A" if cred[-1] != "A" else "B"),  # one character off
        f"nwa.ag-2.{secret}",  # a's secret under another id
        f"nwa.ghost.{secret}",  # unknown agent
        "nwa..x",
        "nwa.a.b.c",
        secret,
        "",
        f"nwu.a.b.c.{secret}",
    ):
        assert store.authenticate_agent(wrong) is None, wrong


def test_revoked_agent_is_refused_until_a_fresh_token_re_enrols_it(store: Store) -> None:
    cred = store.redeem_join_token(
        store.create_join_token("ag-1", "hn", 60, "ana", 0.0), "h", "v", 1.0
    ).credential
    older = store.create_join_token("ag-1", "hn", 60, "ana", 1.5)  # made before the revocation
    store.revoke_agent("ag-1", "ana", 2.0)
    assert store.authenticate_agent(cred) is None
    with pytest.raises(TokenError, match="created before agent ag-1 was revoked"):
        store.redeem_join_token(older, "h", "v", 2.5)
    row = store.agent("ag-1")
    assert row is not None and row.revoked
    # A token created after revocation does not un-revoke anything by itself...
    secret = store.create_join_token("ag-1", "hn", 60, "ana", 3.0)
    row = store.agent("ag-1")
    assert row is not None and row.revoked
    # ...redeeming it does, with a new credential; the old one stays dead.
    new = store.redeem_join_token(secret, "h2", "v2", 4.0).credential
    assert new != cred
    assert store.authenticate_agent(cred) is None
    back = store.authenticate_agent(new)
    assert back is not None and not back.revoked and back.hostname == "h2"
    actions = [(e.action, e.target) for e in store.audit_entries(10)]
    assert actions[0] == ("agent.re-enrol-revoked", "ag-1")
    assert ("agent.revoke", "ag-1") in actions


def test_re_enrolling_an_enrolled_agent_replaces_its_credential(store: Store) -> None:
    first = store.redeem_join_token(
        store.create_join_token("ag-1", "hn", 60, "ana", 0.0), "h", "v", 1.0
    )
    second = store.redeem_join_token(
        store.create_join_token("ag-1", "hn", 60, "ana", 2.0), "h", "v", 3.0
    )
    assert store.authenticate_agent(first.credential) is None
    assert store.authenticate_agent(second.credential) is not None
    assert store.audit_entries(1)[0].action == "agent.re-enrol"


def test_two_racing_redeems_of_one_token_enrol_once(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(2)]
    try:
        for round_ in range(10):
            secret = stores[0].create_join_token(f"ag-{round_}", "hn", 60, "ana", 0.0)
            outcomes = race([partial(s.redeem_join_token, secret, "h", "v", 1.0) for s in stores])
            kinds = sorted(type(o).__name__ for o in outcomes)
            assert kinds == ["Enrolment", "TokenError"], outcomes
    finally:
        for s in stores:
            s.close()
