"""The agent authentication cache: TTL, one entry per agent, and no stale answer after a forget."""

from __future__ import annotations

from netwarden.collector.api.auth_cache import AgentAuthCache
from netwarden.collector.store.rows import AgentRow


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def row(agent_id: str) -> AgentRow:
    return AgentRow(agent_id, "so-khcn", 1.0, False, *([None] * 13))


def test_an_authentication_is_trusted_for_the_ttl_then_asked_again() -> None:
    clock = Clock()
    cache = AgentAuthCache(ttl=30.0, clock=clock)
    cache.put("nwa.a1.secret", row("a1"), cache.generation)
    assert cache.get("nwa.a1.secret") == row("a1")
    assert cache.get("nwa.a1.other") is None
    clock.now += 29.9
    assert cache.get("nwa.a1.secret") == row("a1")
    clock.now += 0.2
    assert cache.get("nwa.a1.secret") is None


def test_forget_drops_the_agent_and_a_new_credential_replaces_the_old() -> None:
    cache = AgentAuthCache(clock=Clock())
    cache.put("nwa.a1.old", row("a1"), cache.generation)
    cache.put("nwa.a2.x", row("a2"), cache.generation)
    cache.put("nwa.a1.new", row("a1"), cache.generation)
    assert cache.get("nwa.a1.old") is None  # one entry per agent: the fleet bounds the cache
    assert cache.get("nwa.a1.new") == row("a1")
    cache.forget("a1")
    assert cache.get("nwa.a1.new") is None
    assert cache.get("nwa.a2.x") == row("a2")


def test_an_answer_read_before_a_revoke_is_not_remembered_after_it() -> None:
    cache = AgentAuthCache(clock=Clock())
    generation = cache.generation  # a request starts asking the store ...
    cache.forget("a1")  # ... the agent is revoked meanwhile ...
    cache.put("nwa.a1.secret", row("a1"), generation)  # ... and the stale "valid" comes back
    assert cache.get("nwa.a1.secret") is None


def test_credentials_are_not_kept_in_clear() -> None:
    cache = AgentAuthCache(clock=Clock())
    cache.put("nwa.a1.s3cr3t-value", row("a1"), cache.generation)
    assert "s3cr3t-value" not in repr(vars(cache))
