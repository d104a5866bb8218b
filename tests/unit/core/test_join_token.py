"""The join token's one wire form: what the collector makes, the agent parses and the
collector redeems."""

from __future__ import annotations

from netwarden.join_token import JoinToken, format_join_token, join_secret, parse_token

HASH = "ab" * 32


def test_a_token_made_for_an_https_collector_parses_back_to_its_ca_hash() -> None:
    token = format_join_token("s3cret", HASH)
    assert token == f"nwj.s3cret.{HASH}"
    assert parse_token(token) == JoinToken(token, HASH)
    assert join_secret(token) == "s3cret"


def test_a_token_for_a_plain_http_collector_has_no_hash() -> None:
    token = format_join_token("s3cret", None)
    assert token == "nwj.s3cret"
    assert parse_token(token) == JoinToken(token, None)
    assert join_secret(token) == "s3cret"


def test_the_collector_takes_a_bare_secret_as_it_is() -> None:
    assert join_secret("s3cret") == "s3cret"
