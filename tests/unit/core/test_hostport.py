"""HOST:PORT: the one parser and formatter, and the options and API field that use it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from netwarden.collector.api.models import HeartbeatIn
from netwarden.collector.command_options import parse_listen
from netwarden.errors import UsageError
from netwarden.hostport import (
    HostPort,
    HostPortError,
    format_hostport,
    hostport_option,
    parse_hostport,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9430", HostPort("127.0.0.1", 9430)),
        ("agent-a.example:1", HostPort("agent-a.example", 1)),
        ("[::1]:161", HostPort("::1", 161)),
        ("[fe80::1%eth0]:65535", HostPort("fe80::1%eth0", 65535)),
    ],
)
def test_parses_host_and_port(text: str, expected: HostPort) -> None:
    assert parse_hostport(text) == expected
    assert format_hostport(*expected) == text  # what is read is written back the same


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("nohost", "no port"),
        (":9430", "no host"),
        ("h:", "port '' is not a number"),
        ("h:x1", "port 'x1' is not a number"),
        ("h:-1", "port '-1' is not a number"),
        ("h:٣", "port '٣' is not a number"),  # a digit to str.isdigit, not to a port
        ("h:0", "port 0 is not from 1 to 65535"),
        ("h:65536", "port 65536 is not from 1 to 65535"),
        ("::1:161", "an IPv6 address goes in brackets"),
        ("[::1:161", "an IPv6 address goes in brackets"),
        ("[]:161", "empty brackets"),
    ],
)
def test_refuses_what_is_not_host_port(text: str, why: str) -> None:
    with pytest.raises(HostPortError, match=f"^{why}"):
        parse_hostport(text)


def test_port_zero_and_the_default_host_only_when_asked() -> None:
    assert parse_hostport("0.0.0.0:0", any_port=True) == ("0.0.0.0", 0)
    assert parse_hostport(":9440", default_host="0.0.0.0") == ("0.0.0.0", 9440)
    assert parse_listen(":9440") == ("0.0.0.0", 9440)
    assert parse_listen("[::]:0") == ("::", 0)


def test_an_option_error_names_the_option_on_one_line() -> None:
    with pytest.raises(UsageError) as caught:
        hostport_option("--advertise", "h:99999")
    assert str(caught.value) == (
        "--advertise must be HOST:PORT, got 'h:99999' (port 99999 is not from 1 to 65535)"
    )


def test_the_heartbeat_advertise_field_uses_the_same_rule() -> None:
    counts = ("devices_assigned", "devices_healthy", "polls_ok", "polls_failed", "queue_depth",
              "queue_dropped")  # fmt: skip
    body = {"sent_at": 1.0, "version": "1", "started_at": 1.0, **dict.fromkeys(counts, 0)}
    good = HeartbeatIn.model_validate({**body, "advertise": "[::1]:9430"})
    assert good.advertise == "[::1]:9430"
    for bad in ("h:0", "::1:9430", "h"):
        with pytest.raises(ValidationError, match="must be HOST:PORT"):
            HeartbeatIn.model_validate({**body, "advertise": bad})


def test_a_bad_agent_listen_is_one_line_naming_the_option() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "netwarden", "agent", "run", "-i", "x.yaml", "--agent", "a",
         "--listen", "[::1]:70000"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "netwarden: error: --listen must be HOST:PORT, got '[::1]:70000' "
        "(port 70000 is not from 0 to 65535)\n"
    )
