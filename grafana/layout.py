"""Our layout of a dashboard on Grafana's 24-column grid, and its panel ids.

The SDK gives panels no ids and its own placement only starts from (0, 0); Grafana needs
unique ids and panels that do not overlap. A :class:`Board` places panels left to right, wraps
to a new line when a panel does not fit, starts each row on a line of its own, and numbers
every panel in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import dashboard as models

from netwarden.grafana.kit import PanelBuilder, VariableBuilder, datasource_variable

WIDTH = 24


@dataclass
class Board:
    """One dashboard being laid out: ``uid`` is its stable address in Grafana."""

    uid: str
    title: str
    description: str
    variables: Sequence[VariableBuilder] = ()
    tags: Sequence[str] = ("netwarden",)
    time_from: str = "now-6h"
    _items: list[dashboard.Row | PanelBuilder] = field(default_factory=list)
    _x: int = 0
    _y: int = 0
    _line_height: int = 0
    _next_id: int = 1

    def row(self, title: str) -> None:
        """A row header across the grid, on a line of its own."""
        self._new_line()
        row = dashboard.Row(title).id(self._take_id()).collapsed(False)
        row.grid_pos(models.GridPos(h=1, w=WIDTH, x=0, y=self._y))
        self._items.append(row)
        self._y += 1

    def add(self, panel: PanelBuilder, w: int, h: int) -> None:
        if not 0 < w <= WIDTH or h <= 0:
            raise ValueError(f"panel size {w}x{h} does not fit the {WIDTH}-column grid")
        if self._x + w > WIDTH:
            self._new_line()
        panel.grid_pos(models.GridPos(h=h, w=w, x=self._x, y=self._y)).id(self._take_id())
        self._items.append(panel)
        self._x += w
        self._line_height = max(self._line_height, h)

    def _new_line(self) -> None:
        self._y += self._line_height
        self._x, self._line_height = 0, 0

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def build(self) -> models.Dashboard:
        board = (
            dashboard.Dashboard(self.title)
            .uid(self.uid)
            .description(self.description)
            .tags(list(self.tags))
            .editable()
            .timezone("browser")
            .time(self.time_from, "now")
            .refresh("1m")
            .tooltip(models.DashboardCursorSync.CROSSHAIR)
            .with_variable(datasource_variable())
        )
        for variable in self.variables:
            board = board.with_variable(variable)
        for item in self._items:
            if isinstance(item, dashboard.Row):
                board = board.with_row(item)
            else:
                board = board.with_panel(item)
        return board.build()
