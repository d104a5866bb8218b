"""The catalogue of playbook actions: the names and params of the contract, strict validation
with every problem located, template inputs skipped statically, and a light import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from netwarden.agent.actions import catalogue, params
from netwarden.agent.actions.catalogue import ActionError, Problem, validate

AGENT = (
    "snmp_get",
    "snmp_walk",
    "ping",
    "tcp",
    "http",
    "traceroute",
    "ssh_command",
    "collect_config",
    "config_diff",
    "set_interface_admin",
    "wait_until",
)
COLLECTOR = ("approval", "notify", "report", "events")


def _is_template(value: object) -> bool:
    return isinstance(value, str) and "{{" in value


def _problems(name: str, args: object) -> list[str]:
    with pytest.raises(ActionError) as caught:
        validate(name, args)
    return [str(problem) for problem in caught.value.problems]


def test_the_actions_of_the_contract_and_where_they_run() -> None:
    assert set(catalogue.CATALOGUE) == set(AGENT) | set(COLLECTOR)
    assert {n for n, a in catalogue.CATALOGUE.items() if a.runs_on == "agent"} == set(AGENT)
    changing = {n for n, a in catalogue.CATALOGUE.items() if a.changes_device}
    assert changing == {"set_interface_admin"}


def test_every_action_has_a_json_schema_that_forbids_unknown_keys() -> None:
    for spec in catalogue.CATALOGUE.values():
        schema = spec.schema()
        assert schema["additionalProperties"] is False, spec.name
        assert spec.outputs, spec.name


def test_the_defaults_of_the_contract() -> None:
    ping = validate("ping", {"host": "198.18.1.2"})
    assert isinstance(ping, params.PingParams)
    assert (ping.count, ping.interval, ping.timeout) == (10, 0.2, 1.0)
    tcp = validate("tcp", {"device": "sw-1", "port": 22})
    assert isinstance(tcp, params.TcpParams) and tcp.timeout == 3.0
    http = validate("http", {"url": "https://portal.example/"})
    assert isinstance(http, params.HttpParams)
    assert (http.expect_status, http.tls_verify, http.ca_file, http.timeout) == (
        200,
        True,
        None,
        10,
    )
    trace = validate("traceroute", {"host": "portal.example"})
    assert isinstance(trace, params.TracerouteParams)
    assert (trace.max_hops, trace.timeout) == (16, 1.0)
    walk = validate("snmp_walk", {"device": "r1", "oid": ".1.3.6.1.2.1.2.2"})
    assert isinstance(walk, params.SnmpWalkParams)
    assert (walk.oid, walk.max_rows) == ("1.3.6.1.2.1.2.2", 1000)
    wait = validate("wait_until", {"condition": {"probe": {"kind": "tcp", "target": {}}}})
    assert isinstance(wait, params.WaitUntilParams)
    assert (wait.every, wait.timeout) == (2.0, 60.0)
    assert wait.condition.probe is not None and wait.condition.probe.success is True
    approval = validate("approval", {})
    assert isinstance(approval, params.ApprovalParams)
    assert (approval.role, approval.timeout) == ("responder", 3600.0)
    report = validate("report", {"form": "notice"})
    assert isinstance(report, params.ReportParams) and report.format == "md"


def test_seconds_take_a_number_or_a_duration() -> None:
    condition = {"snmp": {"device": "r1", "oid": "1.3.6.1", "equals": 1}}
    wait = validate("wait_until", {"condition": condition, "every": "500ms", "timeout": "2m"})
    assert isinstance(wait, params.WaitUntilParams)
    assert (wait.every, wait.timeout) == (0.5, 120.0)
    assert _problems("tcp", {"host": "h", "port": 1, "timeout": True}) == [
        "timeout: must be a number of seconds or a duration like 2s"
    ]
    assert _problems("tcp", {"host": "h", "port": 1, "timeout": "3 days"}) == [
        "timeout: must be a number of seconds or a duration like 2s"
    ]


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("ping", {}, ["needs exactly one of 'device' or 'host'"]),
        (
            "ping",
            {"device": "a", "host": "b"},
            ["needs exactly one of 'device' or 'host' (found device, host)"],
        ),
        (
            "ping",
            {"host": "a b", "count": 0, "size": 1},
            [
                "host: must be an IP address or a host name",
                "count: input should be greater than or equal to 1",
                "size: is not a parameter of this action",
            ],
        ),
        ("ping", {"host": "h", "count": "5"}, ["count: input should be a valid integer"]),
        ("ping", ["h"], ["must be a mapping of parameters"]),
        (
            "snmp_get",
            {"device": "r1", "oids": ["sysName.0"]},
            ["oids.0: must be a numeric OID like 1.3.6.1.2.1.1.3.0"],
        ),
        (
            "snmp_get",
            {"device": "r1", "oids": []},
            ["oids: list should have at least 1 item after validation, not 0"],
        ),
        ("snmp_walk", {"oid": "1.3.6"}, ["device: is required"]),
        (
            "set_interface_admin",
            {"device": "sw1", "interface": "Gi0/1", "state": "shut"},
            ["state: input should be 'up' or 'down'"],
        ),
        (
            "set_interface_admin",
            {"device": "sw1", "interface": "Gi0/1\nreload", "state": "up"},
            ["interface: must be one non-empty line"],
        ),
        (
            "ssh_command",
            {"device": "1sw", "command": "show clock"},
            ["device: must be a device id: a letter, then letters, digits, '.', '_' or '-'"],
        ),
        ("http", {"url": "ftp://portal"}, ["url: must be an http:// or https:// URL"]),
        (
            "http",
            {"url": "https://portal", "ca_file": "ca.pem"},
            ["ca_file: must be an absolute path"],
        ),
        (
            "config_diff",
            {"device": "r1", "from_rev": "HEAD~1"},
            ["from_rev: must be a revision: 4 to 40 hexadecimal digits"],
        ),
        (
            "wait_until",
            {"condition": {"snmp": {"device": "r1", "oid": "1.3.6.1"}}},
            ["condition.snmp: needs exactly one of 'equals', 'not_equals', 'below' or 'above'"],
        ),
        ("wait_until", {"condition": {}}, ["condition: needs exactly one of 'snmp' or 'probe'"]),
        (
            "wait_until",
            {"condition": {"probe": {"kind": "dns", "target": {}}}, "every": 5, "timeout": 2},
            [
                "condition.probe.kind: input should be 'icmp', 'tcp' or 'http'",
            ],
        ),
        (
            "wait_until",
            {"condition": {"probe": {"kind": "tcp", "target": {}}}, "every": 5, "timeout": 2},
            ["'every' must not be longer than 'timeout'"],
        ),
        ("notify", {"message": "x", "email": "ops"}, ["email: must be an e-mail address"]),
        ("notify", {"message": "x"}, ["needs exactly one of 'webhook' or 'email'"]),
        ("approval", {"role": "viewer"}, ["role: input should be 'responder' or 'admin'"]),
    ],
)
def test_every_problem_is_located_and_said_in_a_line(
    name: str, args: object, expected: list[str]
) -> None:
    assert _problems(name, args) == expected


def test_the_error_is_one_line_naming_the_action() -> None:
    with pytest.raises(ActionError) as caught:
        validate("tcp", {"host": "h", "port": 0, "colour": "red"})
    assert str(caught.value) == (
        "tcp: port: input should be greater than or equal to 1; "
        "colour: is not a parameter of this action"
    )
    assert caught.value.action == "tcp"


def test_an_unknown_action_names_the_known_ones() -> None:
    with pytest.raises(ActionError) as caught:
        validate("reboot", {})
    assert caught.value.problems == [
        Problem((), "unknown action; the actions are " + ", ".join(sorted(catalogue.CATALOGUE)))
    ]


def test_statically_a_template_input_is_no_problem_but_a_missing_key_is() -> None:
    args = {"device": "{{ alert.labels.device }}", "count": "{{ inputs.count }}"}
    assert validate("ping", args, skip_input=_is_template) is None
    assert validate("ping", {"host": "h"}, skip_input=_is_template) is not None
    with pytest.raises(ActionError) as caught:
        validate("snmp_get", {"device": "{{ d }}"}, skip_input=_is_template)
    assert [str(p) for p in caught.value.problems] == ["oids: is required"]
    with pytest.raises(ActionError):
        validate("ping", args)


def test_max_seconds_bounds_the_longest_runs() -> None:
    ping = validate("ping", {"host": "h", "count": 100, "interval": 1, "timeout": 2})
    assert ping is not None and ping.max_seconds() == pytest.approx(100 + 2 + params.SLACK)
    condition = {"probe": {"kind": "icmp", "target": {}}}
    wait = validate("wait_until", {"condition": condition, "timeout": "10m"})
    assert wait is not None and wait.max_seconds() > 600


def test_the_catalogue_imports_no_protocol_library() -> None:
    code = (
        "import sys; import netwarden.agent.actions.catalogue; "
        "heavy = [m for m in ('netmiko', 'pysnmp', 'scapy', 'httpx', 'paramiko', 'yaml') "
        "if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
