"""Pure Plotly figure builders: plain rows in, figure dictionaries out. No database.

Every colour here has at least 3:1 contrast against white (WCAG 2.2 non-text contrast),
and every series also differs by marker symbol or line dash, so meaning never rests on
colour alone. Every figure comes with the same numbers as a table (see `table`).
"""

from dataclasses import dataclass
from typing import Any

# NHS identity colours that pass 3:1 on white.
PALETTE = ["#005eb8", "#7c2855", "#007f3b", "#330072", "#425563", "#8a1538", "#00a499"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid"]
# Sequential blues from light to dark for levels 0-3 (cells also show the number).
LEVEL_SCALE = [[0.0, "#e8edee"], [0.34, "#aec8e6"], [0.67, "#4c8ed1"], [1.0, "#003087"]]
FONT = {"family": "Arial, sans-serif", "size": 16, "color": "#212b32"}


@dataclass(frozen=True)
class Table:
    """The numbers behind a chart, for the accessible table and the CSV download."""

    caption: str
    columns: list[str]
    rows: list[list[Any]]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "font": FONT, "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff", "margin": {"l": 60, "r": 30, "t": 60, "b": 60},
            "legend": {"orientation": "h", "y": -0.15}, **extra}


def radar(labels: list[str], series: list[tuple[str, list[float | None]]],
          *, title: str, max_level: int = 3) -> dict[str, Any]:
    """Agreed levels around the ten challenges, one closed line per series."""
    data = []
    for i, (name, values) in enumerate(series):
        data.append({
            "type": "scatterpolar", "name": name, "r": values + values[:1],
            "theta": labels + labels[:1], "mode": "lines+markers",
            "line": {"color": PALETTE[i % len(PALETTE)], "dash": DASHES[i % len(DASHES)],
                     "width": 3},
            "marker": {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 9},
            "hovertemplate": "%{theta}: level %{r}<extra>%{fullData.name}</extra>",
        })
    return {"data": data, "layout": _layout(title, polar={
        "radialaxis": {"range": [0, max_level], "dtick": 1, "tickfont": {"size": 13}},
        "angularaxis": {"tickfont": {"size": 13}}})}


def heatmap(row_labels: list[str], column_labels: list[str], z: list[list[float | None]],
            *, title: str, max_level: int = 3) -> dict[str, Any]:
    """A grid of agreed levels (rows by columns); every cell also prints its number."""
    return {"data": [{
        "type": "heatmap", "x": column_labels, "y": row_labels, "z": z,
        "zmin": 0, "zmax": max_level, "colorscale": LEVEL_SCALE,
        "texttemplate": "%{z}", "textfont": {"size": 14},
        "hovertemplate": "%{y}, %{x}: level %{z}<extra></extra>",
        "colorbar": {"title": {"text": "Level"}, "tickvals": list(range(max_level + 1))},
        "xgap": 2, "ygap": 2,
    }], "layout": _layout(title, yaxis={"autorange": "reversed", "automargin": True},
                          xaxis={"side": "top", "automargin": True})}


def bars(categories: list[str], series: list[tuple[str, list[float | None]]], *, title: str,
         y_title: str, horizontal: bool = False, stacked: bool = False) -> dict[str, Any]:
    """Grouped (or stacked) bars, each series with its own colour and fill pattern."""
    patterns = ["", "/", ".", "x", "-", "\\", "+"]
    data = []
    for i, (name, values) in enumerate(series):
        trace: dict[str, Any] = {
            "type": "bar", "name": name,
            "marker": {"color": PALETTE[i % len(PALETTE)],
                       "pattern": {"shape": patterns[i % len(patterns)], "fgcolor": "#ffffff"}},
            "texttemplate": "%{value}", "textposition": "outside" if not stacked else "inside",
        }
        if horizontal:
            trace.update({"y": categories, "x": values, "orientation": "h"})
        else:
            trace.update({"x": categories, "y": values})
        data.append(trace)
    axis = {"title": {"text": y_title}, "rangemode": "tozero"}
    layout = _layout(title, barmode="stack" if stacked else "group")
    layout["xaxis" if horizontal else "yaxis"] = axis
    layout["yaxis" if horizontal else "xaxis"] = {"automargin": True}
    return {"data": data, "layout": layout}


def lines(x: list[Any], series: list[tuple[str, list[float | None]]], *, title: str,
          y_title: str, y_max: float | None = None) -> dict[str, Any]:
    """Lines over rounds or time, each with its own dash and marker."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": name, "x": x, "y": values,
             "line": {"color": PALETTE[i % len(PALETTE)], "dash": DASHES[i % len(DASHES)],
                      "width": 3},
             "marker": {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 9}}
            for i, (name, values) in enumerate(series)]
    yaxis: dict[str, Any] = {"title": {"text": y_title}, "rangemode": "tozero"}
    if y_max is not None:
        yaxis["range"] = [0, y_max]
    return {"data": data, "layout": _layout(title, yaxis=yaxis, xaxis={"type": "category"})}


def table(caption: str, columns: list[str], rows: list[list[Any]]) -> Table:
    return Table(caption=caption, columns=columns, rows=rows)
