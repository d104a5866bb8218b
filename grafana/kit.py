"""The pieces every dashboard uses: the data source, variables, queries, the panel kinds with
our defaults, value mappings for the states admins read (ifOperStatus, up/down)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from grafana_foundation_sdk.builders import (
    bargauge,
    common,
    dashboard,
    prometheus,
    stat,
    statetimeline,
    table,
    text,
    timeseries,
)
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as models
from grafana_foundation_sdk.models import prometheus as prometheus_models
from grafana_foundation_sdk.models import text as text_models

PanelBuilder = (
    timeseries.Panel | stat.Panel | table.Panel | statetimeline.Panel | bargauge.Panel | text.Panel
)
VariableBuilder = cogbuilder.Builder[models.VariableModel]

DATASOURCE = models.DataSourceRef(type_val="prometheus", uid="${datasource}")
AGENTS_JOB = "netwarden-agents"
COLLECTOR_JOB = "netwarden-collector"
DDN = "dedicated-data-network"


# --- variables -------------------------------------------------------------------------
def datasource_variable() -> VariableBuilder:
    return dashboard.DatasourceVariable("datasource").label("Nguồn dữ liệu").type("prometheus")


def label_variable(
    name: str, label: str, query: str, *, multi: bool = True, include_all: bool = True
) -> VariableBuilder:
    """A variable from ``label_values(...)``; "All" is ``.*`` so a regex matcher takes it."""
    variable = (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query({"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"})
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(models.VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
        .multi(multi)
        .include_all(include_all)
    )
    return variable.all_value(".*") if include_all else variable


def custom_variable(name: str, label: str, values: Sequence[str]) -> VariableBuilder:
    return dashboard.CustomVariable(name).label(label).values(",".join(values))


# --- queries ---------------------------------------------------------------------------
def query(
    expr: str,
    legend: str = "",
    *,
    ref: str = "A",
    instant: bool = False,
    table_format: bool = False,
) -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    if legend:
        q = q.legend_format(legend)
    if instant:
        q = q.instant()
    if table_format:
        q = q.format(prometheus_models.PromQueryFormat.TABLE)
    return q


QueryPanel = TypeVar(
    "QueryPanel", timeseries.Panel, stat.Panel, table.Panel, statetimeline.Panel, bargauge.Panel
)


def _targets(panel: QueryPanel, queries: Sequence[prometheus.Dataquery]) -> QueryPanel:
    for q in queries:
        panel.with_target(q)
    return panel


# --- value mappings and thresholds -----------------------------------------------------
def value_map(pairs: Sequence[tuple[str, str, str]]) -> models.ValueMap:
    return models.ValueMap(
        {
            value: models.ValueMappingResult(text=shown, color=color, index=n)
            for n, (value, shown, color) in enumerate(pairs)
        }
    )


IF_OPER_STATUS = value_map(
    [
        ("1", "up", "green"),
        ("2", "down", "red"),
        ("3", "testing", "blue"),
        ("4", "unknown", "gray"),
        ("5", "dormant", "yellow"),
        ("6", "notPresent", "gray"),
        ("7", "lowerLayerDown", "orange"),
    ]
)
IF_ADMIN_STATUS = value_map(
    [("1", "up", "green"), ("2", "down (shutdown)", "gray"), ("3", "testing", "blue")]
)
UP_DOWN = value_map([("1", "up", "green"), ("0", "down", "red")])
OK_FAILED = value_map([("1", "OK", "green"), ("0", "lỗi", "red")])


def thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(models.ThresholdsMode.ABSOLUTE)
        .steps([models.Threshold(value=value, color=color) for value, color in steps])
    )


GREEN = thresholds((None, "green"))


# --- panels ----------------------------------------------------------------------------
def timeseries_panel(
    title: str,
    queries: Sequence[prometheus.Dataquery],
    unit: str = "",
    description: str = "",
    *,
    stacked: bool = False,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit or "short")
        .line_width(1)
        .fill_opacity(10)
        .legend(
            common.VizLegendOptions()
            .display_mode(common_models.LegendDisplayMode.TABLE)
            .placement(common_models.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
    )
    if stacked:
        panel = panel.stacking(
            common.StackingConfig().mode(common_models.StackingMode.NORMAL)
        ).fill_opacity(40)
    return _targets(panel, queries)


def stat_panel(
    title: str,
    queries: Sequence[prometheus.Dataquery],
    unit: str = "",
    description: str = "",
    *,
    mappings: Sequence[models.ValueMapping] = (),
    steps: dashboard.ThresholdsConfig = GREEN,
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit or "short")
        .mappings(list(mappings))
        .thresholds(steps)
        .color_mode(common_models.BigValueColorMode.BACKGROUND)
        .graph_mode(common_models.BigValueGraphMode.NONE)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    return _targets(panel, queries)


@dataclass(frozen=True)
class Column:
    """One value column of a table: a query whose result is kept by the table's key labels."""

    header: str
    expr: str
    unit: str = ""
    mappings: Sequence[models.ValueMapping] = ()


def table_panel(title: str, columns: Sequence[Column], description: str = "") -> table.Panel:
    """One row per key (the labels the columns' queries keep), a column per query: instant
    queries in table format, merged by Grafana on their common labels."""
    refs = [chr(ord("A") + n) for n in range(len(columns))]
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_transformation(models.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            models.DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": {"Time": True},
                    "renameByName": {
                        f"Value #{ref}": c.header for ref, c in zip(refs, columns, strict=True)
                    },
                },
            )
        )
    )
    for ref, column in zip(refs, columns, strict=True):
        panel = panel.with_target(query(column.expr, ref=ref, instant=True, table_format=True))
        properties = []
        if column.unit:
            properties.append(models.DynamicConfigValue("unit", column.unit))
        if column.mappings:
            properties.append(models.DynamicConfigValue("mappings", list(column.mappings)))
        if properties:
            panel = panel.override_by_name(column.header, properties)
    return panel


def state_timeline_panel(
    title: str,
    queries: Sequence[prometheus.Dataquery],
    mappings: Sequence[models.ValueMapping],
    description: str = "",
) -> statetimeline.Panel:
    panel = (
        statetimeline.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .mappings(list(mappings))
        .thresholds(GREEN)
        .show_value(common_models.VisibilityMode.NEVER)
        .merge_values(True)
    )
    return _targets(panel, queries)


def bar_gauge_panel(
    title: str,
    queries: Sequence[prometheus.Dataquery],
    unit: str = "",
    description: str = "",
    *,
    steps: dashboard.ThresholdsConfig = GREEN,
) -> bargauge.Panel:
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit or "short")
        .thresholds(steps)
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .display_mode(common_models.BarGaugeDisplayMode.BASIC)
    )
    return _targets(panel, queries)


def text_panel(title: str, markdown: str) -> text.Panel:
    return text.Panel().title(title).mode(text_models.TextMode.MARKDOWN).content(markdown)
