"""The agent limits glibc's malloc arenas, unless the environment already chose."""

from __future__ import annotations

import pytest

from netwarden.agent.malloc_arenas import limit_malloc_arenas


def test_glibc_takes_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True  # Debian: glibc's mallopt accepted it


def test_an_admins_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
