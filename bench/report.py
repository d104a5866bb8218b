"""The benchmark's table (every figure with its ratio to snmp_exporter) and the issue's targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.procstat import Result

BASELINE = "snmp_exporter"
NETWARDEN = "netwarden"
AGENT = "netwarden-agent"  # the whole `agent run` process, on its own schedule
AGENT_BASELINE = "agent-baseline"  # the same, from another checkout (--agent-baseline)
BULKWALK = "snmpbulkwalk"


@dataclass(frozen=True)
class Scenario:
    key: str  # big-v2c, big-v3, fleet-v2c, fleet-v3
    title: str
    devices: int
    fleet: bool  # report MiB per 100 devices and check the fleet targets


@dataclass(frozen=True)
class Verdict:
    scenario: str
    target: str
    met: bool | None  # None: could not be decided (a tool has no figure)
    detail: str


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or base <= 0:
        return "-"
    return f"{value / base:.2f}x"


def _figures(result: Result, scenario: Scenario) -> dict[str, float | None]:
    if not result.ok:
        return {"cpu": None, "wall": None, "rate": None, "rss": None, "per100": None,
                "steady": None}  # fmt: skip
    rss = result.peak_rss
    per100 = rss * 100 / scenario.devices if rss is not None and scenario.fleet else None
    if result.tool == BULKWALK:
        per100 = None  # one short process per walk: its RSS does not grow with the fleet
    # The agents' wall time is their poll interval, not their speed.
    scheduled = result.tool in (AGENT, AGENT_BASELINE)
    return {
        "cpu": result.median("cpu"),
        "wall": None if scheduled else result.median("wall"),
        "rate": None if scheduled else result.throughput,
        "rss": rss,
        "per100": per100,
        "steady": result.steady_rss,
    }


def table(scenario: Scenario, results: Sequence[Result]) -> str:
    """One scenario's rows: medians, and each figure divided by snmp_exporter's."""
    base = next((r for r in results if r.tool == BASELINE), None)
    base_fig = _figures(base, scenario) if base is not None else {}
    head = [
        "tool",
        "CPU s",
        "wall s",
        "dev/s",
        "peak RSS MiB",
        "steady RSS MiB",
        "MiB/100 dev",
        "varbinds",
        "CPU/exp",
        "wall/exp",
        "dev/s/exp",
        "RSS/exp",
        "how",
    ]
    rows = [head]
    for result in results:
        fig = _figures(result, scenario)
        if not result.ok:
            rows.append([result.tool, *["-"] * 11, result.error])
            continue
        items = int(result.median("items") / max(result.median("units"), 1))
        varbinds = f"{items:,}/dev" if items else "-"
        rows.append(
            [
                result.tool,
                _num(fig["cpu"]),
                _num(fig["wall"]),
                _num(fig["rate"], 1),
                _num(fig["rss"], 1),
                _num(fig["steady"], 1),
                _num(fig["per100"], 1),
                varbinds,
                _ratio(fig["cpu"], base_fig.get("cpu")),
                _ratio(fig["wall"], base_fig.get("wall")),
                _ratio(fig["rate"], base_fig.get("rate")),
                _ratio(fig["rss"], base_fig.get("rss")),
                result.note,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def _check(
    scenario: Scenario, target: str, value: float | None, limit: float | None, *, most: bool
) -> Verdict:
    """``value`` must be at most (``most``) or at least ``limit``."""
    if value is None or limit is None:
        return Verdict(scenario.key, target, None, "not measured")
    met = value <= limit if most else value >= limit
    return Verdict(scenario.key, target, met, f"{value:.3g} vs limit {limit:.3g}")


def verdicts(scenario: Scenario, results: Sequence[Result]) -> list[Verdict]:
    """The issue's targets for this scenario."""
    fig = {r.tool: _figures(r, scenario) for r in results}
    nw, exp, bw = fig.get(NETWARDEN, {}), fig.get(BASELINE, {}), fig.get(BULKWALK, {})

    def scaled(figs: dict[str, float | None], key: str, factor: float) -> float | None:
        value = figs.get(key)
        return None if value is None else value * factor

    if not scenario.fleet:
        return [
            _check(
                scenario,
                "netwarden CPU per walk <= 0.5x snmp_exporter",
                nw.get("cpu"),
                scaled(exp, "cpu", 0.5),
                most=True,
            ),
            _check(
                scenario,
                "netwarden CPU per walk <= 3x snmpbulkwalk",
                nw.get("cpu"),
                scaled(bw, "cpu", 3.0),
                most=True,
            ),
        ]
    agent = fig.get(AGENT)
    whole = _check(
        scenario, "the agent process's peak RSS <= snmp_exporter's",
        agent.get("rss") if agent else None, exp.get("rss"), most=True,
    )  # fmt: skip
    return [
        *([whole] if agent is not None else []),
        _check(
            scenario,
            "netwarden devices/s >= 2x snmp_exporter",
            nw.get("rate"),
            scaled(exp, "rate", 2.0),
            most=False,
        ),
        _check(
            scenario,
            "netwarden peak RSS <= snmp_exporter's",
            nw.get("rss"),
            exp.get("rss"),
            most=True,
        ),
        _check(
            scenario,
            "netwarden CPU per device <= 0.5x snmp_exporter",
            nw.get("cpu"),
            scaled(exp, "cpu", 0.5),
            most=True,
        ),
    ]


def verdict_lines(all_verdicts: Sequence[Verdict]) -> str:
    """``[met]``/``[MISSED]``/``[n/a]`` lines, one per target."""
    marks = {True: "[met]   ", False: "[MISSED]", None: "[n/a]   "}
    return "\n".join(f"{marks[v.met]} {v.scenario}: {v.target} ({v.detail})" for v in all_verdicts)
