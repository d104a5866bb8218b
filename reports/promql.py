"""The PromQL of the availability report: the state of each link and agency at one instant
(1 up, 0 down, absent: no data or excluded), and what Prometheus computes from it over the
window with subqueries. Pure string building; the tests run every expression on Prometheus.

The state is evaluated at every step of the window (a subquery ``[range:step]``); ``offset``
evaluates it one step earlier, which is how the edges of an outage are found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from netwarden.reports.topology import DDN, Plan
from netwarden.reports.window import Window

Interval = tuple[int, int]  # [start, end) in unix seconds


@dataclass(frozen=True)
class Masks:
    """Excluded time: for everything, and per link id or agency site id."""

    all: tuple[Interval, ...] = ()
    links: Mapping[str, tuple[Interval, ...]] = field(default_factory=dict)
    sites: Mapping[str, tuple[Interval, ...]] = field(default_factory=dict)

    def only(self, links: set[str], sites: set[str]) -> Masks:
        """These masks for some links and sites (a query about them needs no others)."""
        return Masks(
            self.all,
            {k: v for k, v in self.links.items() if k in links},
            {k: v for k, v in self.sites.items() if k in sites},
        )


def string(value: str) -> str:
    """A PromQL string literal (Go escapes, which JSON's are a subset of)."""
    return json.dumps(value, ensure_ascii=False)


def alternation(values: Iterable[str]) -> str:
    """A regex matching exactly ``values`` (PromQL regexes are anchored)."""
    return "|".join(re.escape(v) for v in sorted(set(values)))


def any_of(terms: Sequence[str]) -> str:
    """``a or b or c ...`` as a balanced tree: Prometheus evaluates ``or`` in time linear in
    its left side, so a left-leaning chain of n terms costs n² at every step of a subquery
    (a province's 200 agencies: 20,000 label-set lookups per step), a balanced one n log n."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return f"({any_of(terms[:middle])}) or ({any_of(terms[middle:])})"


def _offset(seconds: int) -> str:
    return f" offset {seconds}s" if seconds else ""


def _now(seconds: int) -> str:
    return f"vector(time() - {seconds})" if seconds else "vector(time())"


def during(intervals: Sequence[Interval], offset: int = 0) -> str:
    """A one-element vector when the instant (less ``offset``) is in one of ``intervals``."""
    now = _now(offset)
    return any_of([f"{now} >= {a} and {now} < {b}" for a, b in intervals])


def _label_vector(pairs: Sequence[tuple[str, str]]) -> str:
    expr = "vector(1)"
    for name, value in pairs:
        expr = f'label_replace({expr}, {string(name)}, {string(value)}, "", "")'
    return expr


def _scoped(label: str, per_target: Mapping[str, tuple[Interval, ...]], offset: int) -> str:
    terms = [
        f"{_label_vector([(label, target)])} and on() ({during(intervals, offset)})"
        for target, intervals in sorted(per_target.items())
        if intervals
    ]
    return any_of(terms) if terms else ""


def masked(
    expr: str,
    label: str,
    scoped: Mapping[str, tuple[Interval, ...]],
    everything: Sequence[Interval],
    offset: int,
) -> str:
    """``expr`` without its series while they are excluded."""
    per_target = _scoped(label, scoped, offset)
    if per_target:
        expr = f"({expr}) unless on({label}) ({per_target})"
    if everything:
        expr = f"({expr}) unless on() ({during(everything, offset)})"
    return expr


def state_of_links(if_matchers: str, info_matchers: str, offset: int = 0) -> str:
    """Per link: 1 while its measured end's ifOperStatus is up(1), 0 in any other state; the
    ends are the ``netwarden_link_info`` series that ``info_matchers`` select. The availability
    dashboard uses this with its own matchers, so it shows the report's figures."""
    o = _offset(offset)
    return (
        f"min by (link) ((ifOperStatus{{{if_matchers}}}{o} == bool 1)"
        f" * on(device, ifName) group_left(link)"
        f" max by (device, ifName, link) (netwarden_link_info{{kind={string(DDN)},"
        f" {info_matchers}}}{o}))"
    )


def link_state(plan: Plan, offset: int = 0) -> str:
    """Per link of ``plan``: the state at its core end."""
    devices = f"device=~{string(alternation(plan.core_devices))}"
    links = f"link=~{string(alternation(lp.id for lp in plan.links))}"
    interfaces = devices
    if plan.core_ifnames:  # a core router has hundreds of interfaces; a few are link ends
        interfaces += f", ifName=~{string(alternation(plan.core_ifnames))}"
    return state_of_links(interfaces, f"{devices}, {links}", offset)


def _reach(plan: Plan, offset: int) -> str:
    services = {s for a in plan.agencies for s in a.reach_services}
    devices = {d for a in plan.agencies for d in a.reach_devices}
    o = _offset(offset)
    parts = []
    if services:
        parts.append(
            f'netwarden_probe_success{{probe="icmp", service=~{string(alternation(services))}}}{o}'
        )
    if devices:
        parts.append(
            f'netwarden_probe_success{{probe="icmp", service="",'
            f" device=~{string(alternation(devices))}}}{o}"
        )
    return " or ".join(parts)


def agency_state(plan: Plan, offset: int = 0) -> str:
    """Per agency site: 0 while all its links are down or its core switch does not answer
    from the core side, 1 while one link is up and the switch answers (or has no probe)."""
    mapping = any_of(
        [
            _label_vector([("link", link), ("site", a.site)])
            for a in plan.agencies
            for link in a.links
        ]
    )
    links = (
        f"label_replace(max by (site) (({link_state(plan, offset)})"
        f' * on(link) group_left(site) ({mapping})), "part", "link", "", "")'
    )
    reach = _reach(plan, offset)
    if not reach:
        return f"min by (site) ({links})"
    reach_part = f'label_replace(max by (site) ({reach}), "part", "reach", "", "")'
    return f"min by (site) ({links} or {reach_part})"


def masked_link_state(plan: Plan, masks: Masks, offset: int = 0) -> str:
    return masked(link_state(plan, offset), "link", masks.links, masks.all, offset)


def masked_agency_state(plan: Plan, masks: Masks, offset: int = 0) -> str:
    return masked(agency_state(plan, offset), "site", masks.sites, masks.all, offset)


def over_window(function: str, state: str, window: Window) -> str:
    """``function`` (``count_over_time``, ``sum_over_time``) of ``state`` at every step of the
    window, for an instant query at ``window.end - window.step`` (a subquery includes both
    ends of its range, so the range stops one step short of the window's length)."""
    length = window.end - window.start - window.step
    return f"{function}(({state})[{length}s:{window.step}s])"


def outage_starts(now: str, before: str) -> str:
    """Down now, and not down one step before: an outage begins."""
    return f"(({now}) == 0) unless (({before}) == 0)"


def outage_ends(now: str, before: str) -> str:
    """Down one step before and not now (up, no data or excluded): the outage is over."""
    return f"(({before}) == 0) unless (({now}) == 0)"
