"""Every query of every dashboard, answered by a real Prometheus scraping the lab's agents and
the collector: the variables are resolved the way Grafana resolves them (``label_values`` on
Prometheus, in order, each substituted into the next), substituted into the queries, and each
query is run as the panel runs it (instant or range). A query that errors fails; a query that
returns nothing fails unless it is in NO_DATA, the one list of panels without data in the lab
by nature, each with its reason.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.grafana_queries import (
    Query,
    boards,
    queries,
    split_label_values,
    substitute,
    variable_query,
    variables,
)
from tests.lab.conftest import Lab
from tests.lab.fleet_lab import wait_for
from tests.lab.observed_fleet import (
    ObservedFleet,
    PrometheusServer,
    Watch,
    observed_fleet,
    open_incident,
    running_config_changed,
)

# The budget counts the first test's share of the module's fleet start, which took up to
# 140 s at a load of 20 (lab tier -n 4 beside other engineers' runs): a hang bound, no more.
pytestmark = pytest.mark.timeout(600)

SCRAPE = 5  # s
BUILTINS = {
    "__rate_interval": f"{4 * SCRAPE}s",  # what Grafana makes of it: 4 scrape intervals
    "__interval": f"{SCRAPE}s",
    "__interval_ms": f"{SCRAPE * 1000}",
    "__range": "5m",
    "__range_s": "300",
    "__range_ms": "300000",
}
RANGE = 300  # s of history a range query asks for
SYSTEMD = (
    "the lab's hosts share this machine's PID 1; where it is not systemd (here) they export "
    "netwarden_host_systemd_available 0 and no unit series"
)
NO_DATA = {
    "dc-hosts/Unit systemd lỗi/A": SYSTEMD,
    "dc-hosts/Các unit systemd lỗi/A": SYSTEMD,
}
# Answered for a while only: a changed configuration shows until the device's next backup
# (``backup_interval`` later), so these count as answered once seen.
TRANSIENT = {"config-changes/Thay đổi chưa ghi nhận/A"}
# Single-value variables take these lab values (else the first value Prometheus lists).
PREFERRED = {("device", "device"): "core-rtr", ("availability", "core_site"): "core"}


@pytest.fixture(scope="module")
def fleet(lab: Lab) -> Iterator[ObservedFleet]:
    with observed_fleet(lab, SCRAPE) as observed:
        # An open, unacknowledged incident for the province board's incident panels, and an
        # unrecorded configuration change for the config-changes board.
        open_incident(observed)
        with running_config_changed(observed):
            yield observed


def _regex_escape(value: str) -> str:
    # As Grafana escapes a value for a Prometheus regex, inside a PromQL double-quoted string.
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\\\1", value)


def resolve_variables(
    prometheus: PrometheusServer, name: str, board: dict[str, Any]
) -> dict[str, str]:
    """The values Grafana would put in each variable, from Prometheus, in order."""
    values = dict(BUILTINS)
    for variable in variables(board):
        if variable["type"] == "datasource":
            continue
        selector, label = split_label_values(variable_query(variable))
        selector = substitute(selector, values)
        # Waited for: a probe's first result lands on its own interval after the fleet's
        # start (the cameras' and hotspots' once missed the first pass of a quick start).
        found = wait_for(
            f"{name}: ${variable['name']} has values ({selector})",
            lambda s=selector, lb=label: prometheus.api(f"label/{lb}/values", **{"match[]": s}),
            60,
            every=1,
        )
        if variable.get("multi"):
            values[variable["name"]] = "(" + "|".join(_regex_escape(v) for v in found) + ")"
            continue
        chosen = PREFERRED.get((name, variable["name"]), found[0])
        assert chosen in found, f"{name}: ${variable['name']}: {chosen} not in {found}"
        values[variable["name"]] = chosen
    return values


def _run(prometheus: PrometheusServer, query: Query, expr: str) -> int:
    """How many series the query returns, as the panel asks for it."""
    now = time.time()
    if query.instant:
        data = prometheus.api("query", query=expr, time=f"{now:.3f}")
    else:
        data = prometheus.api(
            "query_range",
            query=expr,
            start=f"{now - RANGE:.3f}",
            end=f"{now:.3f}",
            step=f"{SCRAPE}s",
        )
    return len(data["result"])


def _all_queries(prometheus: PrometheusServer) -> list[tuple[Query, str]]:
    found = []
    for name, board in boards().items():
        values = resolve_variables(prometheus, name, board)
        found += [(q, substitute(q.expr, values)) for q in queries(name, board)]
    return found


def test_no_data_list_names_real_queries() -> None:
    keys = {q.key for name, board in boards().items() for q in queries(name, board)}
    assert set(NO_DATA) | TRANSIENT <= keys, (set(NO_DATA) | TRANSIENT) - keys


class TransientWatch(Watch):
    """Runs the TRANSIENT queries every second and notes those that answered: each answers
    for one backup interval only, which passes over every query (5 s apart plus their own
    time, long on a loaded machine) can miss. The passes hand it the queries they resolved."""

    def __init__(self, prometheus: PrometheusServer) -> None:
        super().__init__()
        self.prometheus = prometheus
        self.queries: dict[str, tuple[Query, str]] = {}
        self.seen: set[str] = set()

    def look(self) -> None:
        for key, (query, expr) in list(self.queries.items()):
            try:
                if _run(self.prometheus, query, expr):
                    self.seen.add(key)
            except (AssertionError, httpx.HTTPError):
                continue  # a refused query fails in the pass, with its message


def test_every_panel_query_is_answered_from_the_lab(fleet: ObservedFleet) -> None:
    prometheus = fleet.prometheus
    with TransientWatch(prometheus) as transient:
        every, missing, empty = _passes(prometheus, transient)
    assert not missing, "queries without data:\n" + "\n".join(
        f"{key}: {expr}" for key, expr in missing.items()
    )
    assert len(every) > 100  # every dashboard's queries, not a vacuous pass
    print(
        f"{len(every)} queries, {len(every) - len(empty)} answered with data; without data "
        f"by nature: {', '.join(sorted(empty)) or 'none'}"
    )


def _passes(
    prometheus: PrometheusServer, transient: TransientWatch
) -> tuple[list[tuple[Query, str]], dict[str, str], list[str]]:
    """Every query, asked again every 5 s until each has data or 240 s have passed: some
    series need a while (SSH collection every 10 s, config backups every 20-30 s, rates two
    scrapes). Returns the last pass's queries, those without data, those empty by nature."""
    deadline = time.monotonic() + 240
    seen = transient.seen
    while True:
        missing: dict[str, str] = {}
        empty: list[str] = []
        every = _all_queries(prometheus)
        transient.queries.update({q.key: (q, e) for q, e in every if q.key in TRANSIENT})
        for query, expr in every:
            try:
                count = _run(prometheus, query, expr)
            except AssertionError as exc:
                pytest.fail(f"{query.key}: Prometheus refused the query: {exc}\n{expr}")
            if count or (query.key in TRANSIENT and query.key in seen):
                seen.add(query.key)
            elif query.key not in NO_DATA:
                missing[query.key] = expr
            else:
                empty.append(query.key)
        if not missing or time.monotonic() > deadline:
            return every, missing, empty
        time.sleep(5)


def test_the_posted_alert_is_one_open_unacknowledged_incident(fleet: ObservedFleet) -> None:
    prometheus = fleet.prometheus
    waiting = wait_for(
        "the incident's unacknowledged gauge",
        lambda: prometheus.api("query", query="netwarden_incident_unacknowledged_seconds")[
            "result"
        ],
        60,
        every=1,
    )
    assert [(w["metric"]["severity"], w["metric"]["site"]) for w in waiting] == [("critical", "dc")]
    assert float(waiting[0]["value"][1]) >= 0
    counts = prometheus.api("query", query='netwarden_incidents{status="open"}')["result"]
    assert {c["metric"]["severity"]: float(c["value"][1]) for c in counts}["critical"] == 1


# What community dashboards for snmp_exporter's if_mib module ask, with `instance` naming the
# device (the relabel rule of grafana/README.md, in observed_fleet's scrape job).
COMMUNITY = {
    'ifAdminStatus{instance="core-rtr", ifDescr="wan1"}': 1,
    'ifOperStatus{instance="core-rtr", ifName="wan1"}': 1,
    'sysUpTime{instance="core-rtr"}': 1,
    'rate(ifHCInOctets{instance="core-rtr", ifName="wan1"}[20s]) * 8': 1,
    'irate(ifHCOutOctets{instance="core-rtr", ifName="wan1"}[20s]) * 8': 1,
    'ifHighSpeed{instance="core-rtr", ifName="wan1"}': 1,
    'rate(ifInErrors{instance="core-rtr", ifName="wan1"}[20s])': 1,
}


def test_community_snmp_exporter_queries_with_instance_set_to_the_device(
    fleet: ObservedFleet,
) -> None:
    prometheus = fleet.prometheus
    wanted = {"core-rtr", "sw-so-khcn-core", "sw-dc-core", "dc-web-01"}

    def devices() -> set[str]:
        return set(prometheus.api("label/instance/values", **{"match[]": "ifOperStatus"}))

    # Waited for, each of them: every device's first poll lands on its own schedule (a target
    # up in Prometheus may have been scraped before its devices' polls answered), and only
    # the tests before this one (when they run) wait for every device.
    wait_for("devices in the instance variable", lambda: wanted <= devices(), 60,
             describe=devices)  # fmt: skip
    interfaces = prometheus.api(
        "label/ifDescr/values", **{"match[]": 'ifOperStatus{instance="core-rtr"}'}
    )
    assert {"wan1", "wan2", "dc0"} <= set(interfaces)
    for expr, count in COMMUNITY.items():
        got = wait_for(expr, lambda expr=expr: prometheus.api("query", query=expr)["result"], 60)
        assert len(got) == count, (expr, got)
