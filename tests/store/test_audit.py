"""Every change writes its audit entry, in the same transaction."""

import io

from netwarden.collector.store import ResultIn, Store, open_store


def test_every_change_is_audited_with_who_what_when(store: Store, store_url: str) -> None:
    secret = store.create_join_token("ag-1", "hn", 60, "ana", 1.0)
    store.redeem_join_token(secret, "host-a", "0.1.0", 2.0)
    store.create_user_token("bob", "responder", "ana", 3.0)
    job = store.create_job("ag-1", "ping", {}, "bob", 4.0)
    store.add_results("ag-1", [ResultIn("r", "job-result", 4.5, job, {})], 4.6)
    store.revoke_agent("ag-1", "ana", 5.0)
    store.revoke_user_tokens("bob", "ana", 6.0)
    store.audit("ana", "ca.generate", "collector", "new CA\nsha256 abc", 7.0)
    dump = io.BytesIO()
    store.dump(dump)
    store.restore(io.BytesIO(dump.getvalue()), replace=True, actor="ana", now=8.0)

    entries = store.audit_entries(100)
    assert [(e.at, e.actor, e.action, e.target) for e in reversed(entries)] == [
        (1.0, "ana", "join-token.create", "ag-1"),
        (2.0, "agent:ag-1", "agent.enrol", "ag-1"),
        (3.0, "ana", "user-token.create", "bob"),
        (4.0, "bob", "job.create", "ag-1"),
        (5.0, "ana", "agent.revoke", "ag-1"),
        (6.0, "ana", "user-token.revoke", "bob"),
        (7.0, "ana", "ca.generate", "collector"),
        (8.0, "ana", "store.restore", "store"),
    ]
    by_action = {e.action: e.detail for e in entries}
    assert by_action["job.create"] == f"job {job} kind ping"
    assert by_action["ca.generate"] == "new CA sha256 abc"  # always one line
    assert by_action["user-token.create"] == "role responder"
    assert "hostname host-a" in by_action["agent.enrol"]
    assert secret not in repr(entries)
    assert [e.action for e in store.audit_entries(2)] == ["store.restore", "ca.generate"]

    # A fresh connection sees the same log: entries were committed with their changes.
    other = open_store(store_url)
    try:
        assert other.audit_entries(100) == entries
    finally:
        other.close()
