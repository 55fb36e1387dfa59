"""Progress over time by calendar quarter: a pure figure builder (plain rows in, figure out).

Each cell is a mean of the agreed levels the sites had at the end of a quarter, with the
number of sites behind it (n). A mean is not a level, so it is never drawn in a level's
colour: the cells use a scale of their own (MEAN_SCALE, pale to deep orange, far from the
levels' blues) and always print the mean and n. Learning-set meetings are drawn as markers on
the time axis, on a strip above the grid, with a dotted line down through the quarters.
"""

from datetime import date
from typing import Any

from imroc import periods
from imroc.charts import FONT, GRID, TICK_FONT, _category_axis, _layout, _lines, plotly_safe

# A sequential scale for means, 0 to the top level. Text on it is always FONT's dark grey,
# which has at least 4.5:1 contrast with both ends (and so with everything between).
MEAN_SCALE = [[0.0, "#fff8e6"], [1.0, "#ed8b00"]]
MEETING_COLOUR = "#425563"


def quarter_label(start: date) -> str:
    """A quarter as people name it: "Jan–Mar 2024"."""
    return periods.label(start, "quarterly")


def _position(day: date, quarters: list[date]) -> float | None:
    """Where a day falls on the axis: quarter i spans i - 0.5 to i + 0.5."""
    for i, start in enumerate(quarters):
        end = periods.following(start, "quarterly")
        if start <= day < end:
            return round(i - 0.5 + (day - start).days / (end - start).days, 4)
    return None


def mean_cell(mean: float | None, n: int) -> str:
    """A cell as printed: "1.67 (n=3)"; blank when no site had a level."""
    if mean is None or not n:
        return ""
    shown = int(mean) if float(mean).is_integer() else round(float(mean), 2)
    return f"{shown} (n={n})"


def progress_grid(row_labels: list[str], quarters: list[date],
                  means: list[list[float | None]], counts: list[list[int]],
                  meetings: list[tuple[date, str]] = (), *, title: str,
                  max_level: int = 3) -> dict[str, Any]:
    """Rows (challenges or learning sets) by calendar quarter: the mean agreed level at the
    end of each quarter and n, on MEAN_SCALE; meetings as markers on the time axis."""
    columns = [quarter_label(q) for q in quarters]
    xs = list(range(len(quarters)))
    text = [["" if m is None else f"{mean_cell(m, n).split(' ')[0]}\nn={n}"
             for m, n in zip(row, ns, strict=True)] for row, ns in zip(means, counts, strict=True)]
    custom = [[[columns[j], ns[j]] for j in xs] for ns in counts]
    data: list[dict[str, Any]] = [{
        "type": "heatmap", "x": xs, "y": row_labels, "z": means, "text": text,
        "customdata": custom, "zmin": 0, "zmax": max_level, "colorscale": MEAN_SCALE,
        "showscale": False, "hoverongaps": False, "xgap": 3, "ygap": 3,
        "texttemplate": "%{text}", "textfont": {"size": 14, "color": FONT["color"]},
        "hovertemplate": "%{y}, %{customdata[0]}: mean agreed level %{z} "
                         "of %{customdata[1]} sites<extra></extra>",
    }]
    placed = [(p, day, name) for day, name in meetings
              if (p := _position(day, quarters)) is not None]
    if placed:
        data.append({
            "type": "scatter", "mode": "markers", "name": "Learning-set meeting",
            "x": [p for p, _, _ in placed], "y": [0] * len(placed), "yaxis": "y2",
            "hovertext": [f"{day.day} {day:%b %Y}: {name}" for _, day, name in placed],
            "hoverinfo": "text",
            "marker": {"symbol": "triangle-down", "size": 14, "color": MEETING_COLOUR}})
    row_height = max(44, 8 + 17 * _lines(row_labels, 24))
    grid_height = row_height * len(row_labels)
    strip = 46 if placed else 0
    height = max(220, grid_height + strip + 90)
    top = 1 - strip / height if placed else 1
    # A short line from each meeting's marker down to the grid, clear of the numbers.
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": p, "x1": p,
               "y0": round(top - 0.02, 4), "y1": 1,
               "line": {"color": MEETING_COLOUR, "width": 2, "dash": "dot"}}
              for p, _, _ in placed]
    layout = _layout(
        title, legend=False, height=height,
        xaxis={"tickmode": "array", "tickvals": xs, "ticktext": columns, "tickfont": TICK_FONT,
               "range": [-0.5, len(xs) - 0.5], "showgrid": False, "zeroline": False,
               "tickangle": 0 if len(xs) <= 6 else -45, "automargin": True,
               "title": {"text": "Calendar quarter (level at the end of the quarter)"}},
        yaxis=_category_axis(row_labels, 24, autorange="reversed", ticks="",
                             domain=[0, round(top - 0.02, 4)] if placed else [0, 1]),
        shapes=shapes)
    if placed:
        layout["yaxis2"] = {"domain": [round(top, 4), 1], "range": [-1, 1], "anchor": "x",
                            "tickmode": "array", "tickvals": [0], "ticktext": ["Meetings"],
                            "tickfont": TICK_FONT, "showgrid": False, "zeroline": False,
                            "fixedrange": True, "linecolor": GRID}
    return plotly_safe({"data": data, "layout": layout})
