"""The availability report: for each link and agency, how long it was up, down, without data
and excluded over the window, and its outages.

Prometheus does the counting: ``count_over_time`` and ``sum_over_time`` of the state over a
subquery give the steps with data and the steps up; two range queries give the instants an
outage began and ended, which are paired here into outages. Nothing else is taken from the
samples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from netwarden.reports import promql
from netwarden.reports.exclusions import Exclusion, excluded_steps
from netwarden.reports.prometheus import Queries, Series
from netwarden.reports.topology import Plan
from netwarden.reports.window import Window

Interval = tuple[int, int]


@dataclass(frozen=True)
class Outage:
    start: int
    end: int

    @property
    def seconds(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Availability:
    """One link or agency over the window, in steps of ``step`` seconds."""

    kind: str  # "link" or "agency"
    id: str
    name: str
    links: tuple[str, ...]
    step: int
    total_steps: int
    excluded_steps: int
    data_steps: int  # with data and not excluded
    up_steps: int
    outages: tuple[Outage, ...]

    @property
    def down_steps(self) -> int:
        return self.data_steps - self.up_steps

    @property
    def no_data_steps(self) -> int:
        return self.total_steps - self.excluded_steps - self.data_steps

    @property
    def ratio(self) -> float | None:
        """Up time over the time with data (None without data)."""
        return self.up_steps / self.data_steps if self.data_steps else None

    @property
    def longest(self) -> int:
        return max((o.seconds for o in self.outages), default=0)


@dataclass(frozen=True)
class Report:
    window: Window
    exclusions: tuple[Exclusion, ...]
    links: tuple[Availability, ...]
    agencies: tuple[Availability, ...]
    notes: tuple[str, ...] = ()


@dataclass
class _Scoped:
    """Excluded intervals per link and per agency, resolved from the exclusions' scopes."""

    everything: list[Interval] = field(default_factory=list)
    links: dict[str, list[Interval]] = field(default_factory=dict)
    sites: dict[str, list[Interval]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def masks(self) -> promql.Masks:
        return promql.Masks(
            tuple(self.everything),
            {k: tuple(v) for k, v in self.links.items()},
            {k: tuple(v) for k, v in self.sites.items()},
        )


def _affected_links(plan: Plan, exclusion: Exclusion) -> set[str]:
    target = exclusion.target
    if exclusion.scope == "link":
        return {lp.id for lp in plan.links if lp.id == target}
    if exclusion.scope == "device":
        return {lp.id for lp in plan.links if target in (*lp.core_devices, *lp.far_devices)}
    # A site: the links of the agency there, and every link whose core end is there.
    return {
        lp.id
        for lp in plan.links
        if lp.agency == target or any(plan.device_sites.get(d) == target for d in lp.core_devices)
    }


def _affected_agencies(plan: Plan, exclusion: Exclusion, links: set[str]) -> set[str]:
    target = exclusion.target
    found = set()
    for agency in plan.agencies:
        on_site = exclusion.scope == "site" and agency.site == target
        its_device = exclusion.scope == "device" and (
            plan.device_sites.get(target) == agency.site or target in agency.reach_devices
        )
        # An agency with a link left is still measured through it.
        all_links = bool(agency.links) and set(agency.links) <= links
        if on_site or its_device or all_links:
            found.add(agency.site)
    return found


def resolve(plan: Plan, exclusions: Iterable[Exclusion]) -> _Scoped:
    scoped = _Scoped()
    for exclusion in exclusions:
        interval = (exclusion.start, exclusion.end)
        if exclusion.scope == "all":
            scoped.everything.append(interval)
            continue
        links = _affected_links(plan, exclusion)
        sites = _affected_agencies(plan, exclusion, links)
        for link in links:
            scoped.links.setdefault(link, []).append(interval)
        for site in sites:
            scoped.sites.setdefault(site, []).append(interval)
        if not links and not sites:
            scoped.notes.append(
                f"maintenance window {exclusion.source} ({exclusion.scope} {exclusion.target}) "
                "concerns nothing this report measures"
            )
    return scoped


def pair_edges(starts: Iterable[int], ends: Iterable[int], window: Window) -> list[Outage]:
    """Outages from the instants they began and ended. An end before any start is an outage
    under way when the window opened; a start without an end lasts to the window's end."""
    events = sorted([(t, 1) for t in starts] + [(t, 0) for t in ends])
    outages: list[Outage] = []
    began: int | None = window.start if events and events[0][1] == 0 else None
    for at, is_start in events:
        if is_start:
            began = at
        elif began is not None:
            if at > began:
                outages.append(Outage(began, at))
            began = None
    if began is not None and window.end > began:
        outages.append(Outage(began, window.end))
    return outages


@dataclass(frozen=True)
class _Measured:
    """What Prometheus answered for one kind, by link id or agency site."""

    counts: dict[str, float]  # steps with data (not excluded)
    ups: dict[str, float]  # steps up
    starts: dict[str, list[int]]  # instants an outage began
    ends: dict[str, list[int]]  # instants an outage ended

    def row(
        self,
        kind: str,
        key: str,
        *,
        name: str,
        links: tuple[str, ...],
        excluded: list[Interval],
        window: Window,
    ) -> Availability:
        outages = pair_edges(self.starts.get(key, []), self.ends.get(key, []), window)
        return Availability(
            kind,
            key,
            name,
            links,
            window.step,
            window.steps,
            excluded_steps(excluded, window),
            round(self.counts.get(key, 0.0)),
            round(self.ups.get(key, 0.0)),
            tuple(outages),
        )


def _instants(series: list[Series], label: str) -> dict[str, list[int]]:
    return {s.labels.get(label, ""): [t for t, _ in s.points] for s in series}


@dataclass(frozen=True)
class _Kind:
    label: str  # the label the state is kept by
    state: Callable[[Plan, promql.Masks, int], str]


LINKS = _Kind("link", promql.masked_link_state)
AGENCIES = _Kind("site", promql.masked_agency_state)


BATCH = 50
"""Links (or agencies) per query. Prometheus evaluates the state once per step of the window
for every series of the query: a month at 60 s is 44,640 evaluations, and a query of a whole
province's links would outlast Prometheus' query timeout (2 min by default)."""


def _batches(plan: Plan, agencies: bool) -> Iterator[Plan]:
    """``plan`` cut into plans of at most BATCH links, or agencies with their links."""
    if not agencies:
        for n in range(0, len(plan.links), BATCH):
            yield replace(plan, links=plan.links[n : n + BATCH], agencies=())
        return
    for n in range(0, len(plan.agencies), BATCH):
        chosen = plan.agencies[n : n + BATCH]
        ids = {link for a in chosen for link in a.links}
        yield replace(plan, links=tuple(lp for lp in plan.links if lp.id in ids), agencies=chosen)


def _measure(
    api: Queries, kind: _Kind, plan: Plan, masks: promql.Masks, window: Window
) -> _Measured:
    merged = _Measured({}, {}, {}, {})
    for part in _batches(plan, kind is AGENCIES):
        ids = {lp.id for lp in part.links}
        sites = {a.site for a in part.agencies}
        measured = _measure_one(api, kind, part, masks.only(ids, sites), window)
        merged.counts.update(measured.counts)
        merged.ups.update(measured.ups)
        merged.starts.update(measured.starts)
        merged.ends.update(measured.ends)
    return merged


def _measure_one(
    api: Queries, kind: _Kind, plan: Plan, masks: promql.Masks, window: Window
) -> _Measured:
    now, before = kind.state(plan, masks, 0), kind.state(plan, masks, window.step)
    last = window.end - window.step
    counts = api.instant(promql.over_window("count_over_time", now, window), last)
    ups = api.instant(promql.over_window("sum_over_time", now, window), last)
    starts = api.range(promql.outage_starts(now, before), window.start, last, window.step)
    ends = api.range(promql.outage_ends(now, before), window.start, last, window.step)
    return _Measured(
        {s.labels.get(kind.label, ""): s.value for s in counts},
        {s.labels.get(kind.label, ""): s.value for s in ups},
        _instants(starts, kind.label),
        _instants(ends, kind.label),
    )


def _link_rows(api: Queries, plan: Plan, scoped: _Scoped, window: Window) -> list[Availability]:
    measured = _measure(api, LINKS, plan, scoped.masks(), window)
    return [
        measured.row(
            "link",
            lp.id,
            name=lp.agency,
            links=(lp.id,),
            excluded=scoped.everything + scoped.links.get(lp.id, []),
            window=window,
        )
        for lp in plan.links
    ]


def _agency_rows(api: Queries, plan: Plan, scoped: _Scoped, window: Window) -> list[Availability]:
    if not plan.agencies:
        return []
    measured = _measure(api, AGENCIES, plan, scoped.masks(), window)
    return [
        measured.row(
            "agency",
            a.site,
            name=a.name,
            links=a.links,
            excluded=scoped.everything + scoped.sites.get(a.site, []),
            window=window,
        )
        for a in plan.agencies
    ]


def compute(api: Queries, plan: Plan, window: Window, exclusions: Iterable[Exclusion]) -> Report:
    """The availability of every link and agency of ``plan`` over ``window``."""
    chosen = tuple(exclusions)
    scoped = resolve(plan, chosen)
    notes = [*plan.notes, *scoped.notes]
    notes += [
        f"agency {a.site}: no ICMP probe from the core side, measured by its links only"
        for a in plan.agencies
        if not (a.reach_services or a.reach_devices)
    ]
    if window.partial:
        notes.append("the month is not over: the report stops at the last whole step")
    return Report(
        window,
        chosen,
        tuple(_link_rows(api, plan, scoped, window)),
        tuple(_agency_rows(api, plan, scoped, window)),
        tuple(notes),
    )
