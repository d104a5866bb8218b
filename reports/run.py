"""``report availability`` from its options to its text: the window, the exclusions (given and
from the collector), what to measure (inventory or metrics), Prometheus, the rendering."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx

from netwarden.reports import render, topology
from netwarden.reports.availability import compute
from netwarden.reports.exclusions import Exclusion, clip, from_collector, parse_exclude
from netwarden.reports.prometheus import HttpPrometheus, Queries
from netwarden.reports.window import (
    Window,
    explicit_window,
    month_window,
    parse_step,
    parse_time,
    rfc3339,
)


@dataclass(frozen=True)
class AvailabilityRequest:
    prometheus: str
    month: str | None
    start: str | None
    end: str | None
    step: str
    inventory: list[Path]
    exclude: list[str]
    collector: str | None
    ca_file: Path | None
    insecure: bool
    now: float


def window_of(request: AvailabilityRequest) -> Window:
    step = parse_step(request.step)
    if request.month is not None:
        return month_window(request.month, step, request.now)
    assert request.start is not None  # the command checked that --from and --to go together
    assert request.end is not None
    start, end = parse_time(request.start, "--from"), parse_time(request.end, "--to")
    return explicit_window(start, end, step, request.now)


def maintenance(
    request: AvailabilityRequest, window: Window, transport: httpx.BaseTransport | None = None
) -> list[Exclusion]:
    """The collector's maintenance windows overlapping the report's window
    (``GET /api/v1/maintenance?from=&to=``, a viewer's token in ``NETWARDEN_TOKEN``)."""
    from netwarden.user_api import CollectorApi

    api = CollectorApi(request.collector, request.ca_file, request.insecure, transport)
    span = {"from": rfc3339(window.start), "to": rfc3339(window.end)}
    try:
        answer = api.call("GET", "/api/v1/maintenance", "viewer", params=span)
    finally:
        api.close()
    return from_collector(answer)


def plan_of(request: AvailabilityRequest, api: Queries, window: Window) -> topology.Plan:
    if request.inventory:
        from netwarden.inventory import load_inventory

        return topology.from_inventory(load_inventory(request.inventory))
    # Every link the agents exported at some time in the window.
    expr = (
        f"max by (link, device, ifName) (last_over_time(netwarden_link_info"
        f'{{kind="{topology.DDN}"}}[{window.end - window.start}s]))'
    )
    return topology.from_link_ends(s.labels for s in api.instant(expr, window.end))


def run_availability(request: AvailabilityRequest, output: str) -> str:
    window = window_of(request)
    exclusions = [parse_exclude(text) for text in request.exclude]
    if request.collector is not None:
        exclusions += maintenance(request, window)
    prometheus = HttpPrometheus(request.prometheus)
    try:
        plan = plan_of(request, prometheus, window)
        report = compute(prometheus, plan, window, clip(exclusions, window))
    finally:
        prometheus.close()
    if output == "json":
        return json.dumps(render.report_json(report), indent=2, ensure_ascii=False) + "\n"
    if output == "csv":
        return render.report_csv(report)
    return render.report_table(report) + "\n"
