"""Pure Plotly figure builders: plain rows in, figure dictionaries out. No database.

Every colour here has at least 3:1 contrast against white (WCAG 2.2 non-text contrast),
and every series also differs by marker symbol, line dash or fill pattern, so meaning never
rests on colour alone. Heat-map cells print their number in a colour that has 4.5:1
contrast with the cell. Every figure comes with the same numbers as a table (see `table`).

The chart's title is the heading above it on the page, so it is not drawn again inside the
figure (it is kept in `layout.meta.title`). Long category labels are wrapped onto several
lines in the axis ticks only (`ticktext`): the data, the hover text and the table keep them
whole. Each figure suggests a height for its number of rows; static/js/charts.js adapts it
to the screen (presentation mode, phones).
"""

from dataclasses import dataclass
from typing import Any

# NHS identity colours that pass 3:1 on white.
PALETTE = ["#005eb8", "#7c2855", "#007f3b", "#330072", "#425563", "#8a1538", "#00a499"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid"]
PATTERNS = ["", "/", ".", "x", "-", "\\", "+"]
# The one colour scale of levels 0-3, light to dark, used by every chart that colours by level
# (heat maps, the stacked counts of sites per level) and by the key in static/css/app.css
# (`.app-level-key__swatch--N`, kept equal by a test). A number printed on a level's colour
# uses LEVEL_TEXT: each pair has at least 4.5:1 contrast.
LEVEL_COLOURS = ["#f0f4f5", "#aec8e6", "#005eb8", "#003087"]
LEVEL_TEXT = ["#212b32", "#212b32", "#ffffff", "#ffffff"]
# A light bar needs an edge to be seen on white (3:1 for non-text contrast).
LEVEL_EDGE = "#425563"
FONT = {"family": "Arial, sans-serif", "size": 16, "color": "#212b32"}
TICK_FONT = {"size": 14}
GRID = "#d8dde0"


@dataclass(frozen=True)
class Table:
    """The numbers behind a chart, for the accessible table and the CSV download."""

    caption: str
    columns: list[str]
    rows: list[list[Any]]


# Where Plotly shows text it reads a little HTML of its own (links, bold, line breaks), so
# everything it is handed to show is escaped first: a site named <a href=...> stays text.
TEXT_KEYS = frozenset({"x", "y", "x0", "x1", "theta", "name", "text", "hovertext",
                       "ticktext", "tickvals", "customdata", "labels", "title"})


def plotly_text(value: str) -> str:
    """Text as Plotly must be handed it to show it as typed (a line break as its `<br>`)."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br>")


def _escaped(node: Any, text: bool) -> Any:
    if isinstance(node, dict):
        # `meta` is ours (the heading above the chart), never drawn by Plotly.
        return {k: v if k == "meta" else _escaped(v, k in TEXT_KEYS) for k, v in node.items()}
    if isinstance(node, list):
        return [_escaped(v, text) for v in node]
    if text and isinstance(node, str):
        return plotly_text(node)
    return node


def plotly_safe(figure: dict[str, Any]) -> dict[str, Any]:
    """The figure with every label, tick, hover text, title and annotation escaped; the one
    step every figure builder ends with (templates in `hovertemplate` escape their own text)."""
    return _escaped(figure, False)


def wrap(label: Any, width: int) -> str:
    """A label broken onto lines of about `width` characters, at spaces (plotly_safe turns
    each line break into Plotly's `<br>`)."""
    lines: list[str] = []
    line = ""
    for word in str(label).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def _lines(labels: list[str], width: int) -> int:
    return max((wrap(label, width).count("\n") + 1 for label in labels), default=1)


def _category_axis(labels: list[str], width: int, **extra: Any) -> dict[str, Any]:
    """A category axis whose tick labels wrap; the categories themselves stay whole."""
    return {"type": "category", "tickmode": "array", "tickvals": labels,
            "ticktext": [wrap(label, width) for label in labels], "tickfont": TICK_FONT,
            "automargin": True, **extra}


def level_scale(max_level: int = 3) -> list[list[Any]]:
    """A stepped colour scale: each whole level has its own colour; a mean takes the colour
    of the nearest level, so a cell's text colour always has enough contrast."""
    colours = LEVEL_COLOURS if max_level == 3 else [
        LEVEL_COLOURS[round(i * 3 / max_level)] for i in range(max_level + 1)]
    scale: list[list[Any]] = []
    for level, colour in enumerate(colours):
        low = max(0.0, (level - 0.5) / max_level)
        high = min(1.0, (level + 0.5) / max_level)
        scale += [[round(low, 4), colour], [round(high, 4), colour]]
    return scale


def level_ticks(names: list[str] | tuple[str, ...] = (), max_level: int = 3
                ) -> tuple[list[int], list[str]]:
    """Whole levels only, each named as the scale names it ("1 Engagement")."""
    values = list(range(max_level + 1))
    return values, [f"{v} {names[v]}" if v < len(names) else str(v) for v in values]


def level_axis(names: list[str] | tuple[str, ...] = (), max_level: int = 3,
               **extra: Any) -> dict[str, Any]:
    """A value axis of levels: 0 to the top level, a tick at each whole level with its name
    (never 0.5 steps), whatever the data."""
    values, text = level_ticks(names, max_level)
    return {"range": [0, max_level], "rangemode": "normal", "tickmode": "array",
            "tickvals": values, "ticktext": text, "tickfont": TICK_FONT, "gridcolor": GRID,
            "zerolinecolor": "#768692", "automargin": True, **extra}


def _layout(title: str, *, legend: bool = True, height: int | None = None,
            **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "meta": {"title": title}, "font": FONT, "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff", "margin": {"l": 10, "r": 24, "t": 16, "b": 10, "pad": 4},
        "showlegend": legend,
        # Above the plot, where nothing else is drawn (tick labels are below or beside it).
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02,
                   "yanchor": "bottom", "traceorder": "normal"},
        "hoverlabel": {"font": {"size": 16}},
        **extra}
    if height:
        layout["height"] = height
    return layout


def radar(labels: list[str], series: list[tuple[str, list[float | None]]],
          *, title: str, max_level: int = 3, level_names: list[str] | tuple[str, ...] = ()
          ) -> dict[str, Any]:
    """Agreed levels around the ten challenges, one closed line per series; the rings are
    the whole levels, named, their labels drawn above the lines."""
    data = []
    for i, (name, values) in enumerate(series):
        data.append({
            "type": "scatterpolar", "name": name, "r": values + values[:1],
            "theta": labels + labels[:1], "mode": "lines+markers",
            "line": {"color": PALETTE[i % len(PALETTE)], "dash": DASHES[i % len(DASHES)],
                     "width": 3},
            "marker": {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 10},
            "hovertemplate": "%{theta}: level %{r}<extra>%{fullData.name}</extra>",
        })
    scale_angle = radar_scale_angle(len(labels))
    values, names = level_ticks(level_names, max_level)
    layout = _layout(title, height=640, polar={
        # The rings' numbers lie beside the first spoke, on the side away from its points,
        # above the lines; the centre (every spoke meets there) is not numbered. Their names
        # are too long to fit between the rings: they are spelt out under the circle.
        "radialaxis": {"range": [0, max_level], "tickmode": "array",
                       "tickvals": values[1:], "ticktext": [str(v) for v in values[1:]],
                       "tickfont": {"size": 14, "color": "#212b32"}, "layer": "above traces",
                       "angle": scale_angle, "tickangle": scale_angle, "side": "clockwise",
                       "showline": False, "gridcolor": GRID},
        "angularaxis": {"tickmode": "array", "tickvals": labels,
                        "ticktext": [wrap(label, 12) for label in labels],
                        "tickfont": TICK_FONT, "direction": "clockwise", "rotation": 90,
                        "gridcolor": GRID, "linecolor": "#768692"}})
    # Polar tick labels do not push the margins out by themselves.
    layout["margin"] = {"l": 120, "r": 120, "t": 100, "b": 120}
    layout["annotations"] = [{
        "xref": "paper", "yref": "paper", "x": 0.5, "y": 0, "yanchor": "top", "yshift": -84,
        "showarrow": False, "font": {"size": 14, "color": "#212b32"},
        "text": f"Levels: {names[0]} (the centre), " + ", ".join(names[1:])}]
    layout["legend"].update({"yref": "container", "y": 1, "yanchor": "top",
                             "xref": "container", "x": 0})
    return plotly_safe({"data": data, "layout": layout})


def radar_scale_angle(spokes: int) -> float:
    """Where the ring numbers are drawn: just clockwise of the first spoke (which points up),
    in degrees anticlockwise from the right. The numbers sit on the clockwise side of that
    line, in the open space before the second spoke, so no point covers them."""
    return 90 - min(3.0, 90 / max(spokes, 1))


def heatmap(row_labels: list[str], column_labels: list[str], z: list[list[float | None]],
            *, title: str, max_level: int = 3) -> dict[str, Any]:
    """A grid of agreed levels (rows by columns); every cell also prints its number.

    There is no colour bar (the numbers are in the cells, and Plotly's colour bar sets a
    style attribute that a strict Content-Security-Policy refuses)."""
    dense = len(column_labels) > 6
    width = 11 if dense else 14
    row_height = max(44 if len(row_labels) <= 12 else 36, 8 + 17 * _lines(row_labels, 24))
    top = 24 + 18 * _lines(column_labels, width)
    return plotly_safe({"data": [{
        "type": "heatmap", "x": column_labels, "y": row_labels, "z": z,
        "zmin": 0, "zmax": max_level, "colorscale": level_scale(max_level),
        "showscale": False, "hoverongaps": False,
        "texttemplate": "%{z}", "textfont": {"size": 16},
        "hovertemplate": "%{y}, %{x}: level %{z}<extra></extra>",
        "xgap": 3, "ygap": 3,
    }], "layout": _layout(
        title, legend=False, height=max(200, top + row_height * len(row_labels) + 30),
        yaxis=_category_axis(row_labels, 24, autorange="reversed", ticks=""),
        xaxis=_category_axis(column_labels, width, side="top", tickangle=0, ticks="",
                             tickfont={"size": 13 if dense else TICK_FONT["size"]}))})


def bars(categories: list[str], series: list[tuple[str, list[float | None]]], *, title: str,
         y_title: str, horizontal: bool | None = None, stacked: bool = False,
         value_range: tuple[float, float] | None = None,
         levels: list[str] | tuple[str, ...] | None = None,
         by_level: bool = False) -> dict[str, Any]:
    """Grouped (or stacked) bars, each series with its own colour and fill pattern.

    `horizontal=None` lays the bars along the page when the categories have long names or
    are many (the names are then read across, not tilted); the first category is on top.
    `value_range` fixes the value axis instead of fitting it to the data; `levels` (the
    scale's names) makes it an axis of whole, named levels. `by_level`: the series are the
    levels 0, 1, 2, 3 in order, coloured on the one level scale (LEVEL_COLOURS)."""
    if horizontal is None:
        horizontal = len(categories) > 8 or any(len(str(c)) > 14 for c in categories)
    data = []
    for i, (name, values) in enumerate(series):
        colour = LEVEL_COLOURS[i] if by_level else PALETTE[i % len(PALETTE)]
        trace: dict[str, Any] = {
            "type": "bar", "name": name,
            # "overlay": the pattern is drawn over the series colour (with the default
            # "replace" the bar would be white lines on nothing, i.e. invisible).
            "marker": {"color": colour,
                       "line": {"width": 1, "color": LEVEL_EDGE} if by_level else {"width": 0},
                       "pattern": {"shape": PATTERNS[i % len(PATTERNS)], "fillmode": "overlay",
                                   "fgcolor": LEVEL_TEXT[i] if by_level else "#ffffff",
                                   "fgopacity": 0.3 if by_level else 0.45, "solidity": 0.15,
                                   "size": 10}},
            "hovertemplate": ("%{y}: %{x}" if horizontal else "%{x}: %{y}")
            + "<extra>%{fullData.name}</extra>",
        }
        if stacked:
            # Inside each segment; an empty segment has no "0" drawn over its neighbours.
            trace.update({"text": ["" if not v else v for v in values],
                          "texttemplate": "%{text}", "textposition": "inside",
                          "insidetextanchor": "middle", "textangle": 0})
            if by_level:
                trace["insidetextfont"] = {"color": LEVEL_TEXT[i]}
        else:
            trace.update({"texttemplate": "%{value}", "textposition": "outside",
                          "cliponaxis": False})
        if horizontal:
            trace.update({"y": categories, "x": values, "orientation": "h"})
        else:
            trace.update({"x": categories, "y": values})
        data.append(trace)
    value_axis = {"title": {"text": y_title}, "rangemode": "tozero", "gridcolor": GRID,
                  "zerolinecolor": "#768692", "tickfont": TICK_FONT, "automargin": True}
    if levels is not None:
        value_axis = level_axis(levels, title={"text": y_title})
    elif value_range is not None:
        value_axis.update({"range": list(value_range), "rangemode": "normal"})
    elif _whole_numbers(series):
        # Counts: whole-number ticks (no "2.5 sites"), every one while they are few.
        tallest = max((sum(v or 0 for v in column) if stacked else max(v or 0 for v in column)
                       for column in zip(*(values for _, values in series), strict=False)), default=0)
        value_axis.update({"tickformat": "d", **({"dtick": 1} if tallest <= 12 else {})})
    per_bar = 1 if stacked else max(1, len(series))
    if horizontal:
        band = 26 + 16 * per_bar
        lines = _lines(categories, 22)
        band = max(band, 10 + 17 * lines)
        height = max(240, 110 + 24 * (len(series) > 1) + band * len(categories))
    else:
        height = 440
    layout = _layout(title, barmode="stack" if stacked else "group", bargap=0.25,
                     bargroupgap=0.05, legend=len(series) > 1, height=height)
    if horizontal:
        layout["xaxis"] = value_axis
        layout["yaxis"] = _category_axis(categories, 22, autorange="reversed", ticks="")
    else:
        layout["yaxis"] = value_axis
        layout["xaxis"] = _category_axis(categories, 14, tickangle=0)
    return plotly_safe({"data": data, "layout": layout})


def _whole_numbers(series: list[tuple[str, list[float | None]]]) -> bool:
    return all(v is None or float(v).is_integer() for _, values in series for v in values)


def lines(x: list[Any], series: list[tuple[str, list[float | None]]], *, title: str,
          y_title: str, y_max: float | None = None) -> dict[str, Any]:
    """Lines over rounds or time, each with its own dash and marker."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": name, "x": x, "y": values,
             "line": {"color": PALETTE[i % len(PALETTE)], "dash": DASHES[i % len(DASHES)],
                      "width": 3},
             "marker": {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 9}}
            for i, (name, values) in enumerate(series)]
    yaxis: dict[str, Any] = {"title": {"text": y_title}, "rangemode": "tozero",
                             "gridcolor": GRID, "automargin": True}
    if y_max is not None:
        yaxis["range"] = [0, y_max]
    return plotly_safe({"data": data, "layout": _layout(
        title, legend=len(series) > 1, height=440, yaxis=yaxis,
        xaxis={"type": "category", "automargin": True})})


def table(caption: str, columns: list[str], rows: list[list[Any]]) -> Table:
    return Table(caption=caption, columns=columns, rows=rows)
