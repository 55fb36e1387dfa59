"""SPC and run charts as Plotly figures, and the same numbers as a table. Pure: no database.

Colours follow the "Making Data Count" convention (blue improving, orange concerning, purple
for a change with no preferred direction, grey otherwise), darkened to at least 3:1 against
white; every kind of point also has its own marker shape, and each line its own dash, so
nothing rests on colour alone. Text people typed (notes, PDSA changes, units) is escaped
before Plotly sees it (charts.plotly_safe), because Plotly reads a little HTML in labels.
"""

from dataclasses import dataclass
from typing import Any

from imroc.charts import FONT, GRID, TICK_FONT, Table, plotly_safe, plotly_text, table
from imroc.spc.rules import RULE_ORDER, RunChartResult, Variation, XmRResult

GREY, DARK = "#5e6b75", "#425563"
KINDS = {  # variation of a point: legend name, colour, marker
    Variation.COMMON_CAUSE: ("Common cause", GREY, "circle"),
    Variation.SPECIAL_CAUSE_IMPROVING: ("Special cause: improving", "#005eb8", "square"),
    Variation.SPECIAL_CAUSE_CONCERNING: ("Special cause: concerning", "#a84b00", "diamond"),
    Variation.SPECIAL_CAUSE_NEUTRAL: ("Special cause: no preferred direction", "#6b2c91",
                                      "triangle-up"),
}
RULE_NAMES = {"outside": "Beyond a process limit", "shift": "Shift", "trend": "Trend",
              "two_of_three": "Two of three near a limit"}


@dataclass(frozen=True)
class Event:
    """Something that happened in a period: a PDSA cycle starting or a change adopted."""

    index: int  # the point (period) it belongs to
    text: str


def figure(labels: list[str], result: XmRResult | RunChartResult, events: list[Event], *,
           title: str, unit: str = "") -> dict[str, Any]:
    """The chart: values coloured by variation, centre line, limits, band, target, events."""
    xs = list(labels)
    ys = [p.value for p in result.points]
    data: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines", "name": "Value", "x": xs, "y": ys,
        "line": {"color": GREY, "width": 2}, "hoverinfo": "skip", "showlegend": False}]
    for kind, (name, colour, symbol) in KINDS.items():
        picked = [i for i, p in enumerate(result.points) if p.variation is kind]
        if picked or kind is Variation.COMMON_CAUSE:
            data.append({"type": "scatter", "mode": "markers", "name": name,
                         "x": [xs[i] for i in picked], "y": [ys[i] for i in picked],
                         "marker": {"color": colour, "symbol": symbol, "size": 11,
                                    "line": {"color": "#ffffff", "width": 1}},
                         "hovertemplate": f"%{{x}}: %{{y}}{plotly_text(unit)}<extra>{name}</extra>"})
    if isinstance(result, XmRResult):
        lines = [("Mean", "mean", "solid", DARK, 2), ("Upper process limit", "upper", "dash", DARK, 2),
                 ("Lower process limit", "lower", "dash", DARK, 2),
                 ("Two-sigma line", "upper_2s", "dot", GREY, 1),
                 ("Two-sigma line (lower)", "lower_2s", "dot", GREY, 1)]
        for name, attr, dash, colour, width in lines:
            # One trace per segment, so the lines break where the limits were rebased.
            for n, seg in enumerate(result.segments):
                value = getattr(seg, attr)
                if value is None:
                    continue
                data.append(_line(name, xs[seg.start:seg.end], [value] * (seg.end - seg.start),
                                  dash, colour, width, legend=n == 0 and attr != "lower_2s"))
        if result.target is not None:
            data.append(_line("Target", xs, [result.target] * len(xs), "dashdot", "#d5281b", 2))
    else:
        data.append(_line("Median", xs, [result.median] * len(xs), "solid", DARK, 2))
    shapes, notes = [], []
    for n, event in enumerate(events):
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": xs[event.index],
                       "x1": xs[event.index], "y0": 0, "y1": 1,
                       "line": {"color": "#330072", "width": 1, "dash": "dot"}})
        notes.append({"x": xs[event.index], "xref": "x", "yref": "paper", "y": 1 - 0.07 * (n % 4),
                      "yanchor": "top", "xanchor": "left", "showarrow": False,
                      "text": _short(event.text), "hovertext": event.text,
                      "font": {"size": 12, "color": "#330072"}, "bgcolor": "#ffffff"})
    if isinstance(result, XmRResult):
        notes += _period_notes(xs, result)
    layout = {
        "meta": {"title": title}, "font": FONT, "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff", "height": 460, "showlegend": True,
        "margin": {"l": 10, "r": 24, "t": 16, "b": 10, "pad": 4},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02,
                   "yanchor": "bottom", "traceorder": "normal"},
        "hoverlabel": {"font": {"size": 16}},
        "xaxis": {"type": "category", "automargin": True, "tickfont": TICK_FONT},
        "yaxis": {"title": {"text": unit}, "gridcolor": GRID, "automargin": True},
        "shapes": shapes, "annotations": notes,
    }
    return plotly_safe({"data": data, "layout": layout})


def period_names(labels: list[str], result: XmRResult) -> list[str]:
    """What each period of limits is called on the chart: "Before May 2024", "From May 2024"
    (nothing when the limits were never recalculated)."""
    segments = result.segments
    if len(segments) < 2:
        return []
    return [f"Before {labels[segments[1].start]}" if n == 0 else f"From {labels[seg.start]}"
            for n, seg in enumerate(segments)]


def _period_notes(xs: list[str], result: XmRResult) -> list[dict[str, Any]]:
    # Along the foot of the plot, clear of the event notes that hang from its top.
    return [{"x": xs[seg.start], "xref": "x", "yref": "paper", "y": 0, "yanchor": "bottom",
             "xanchor": "left", "showarrow": False, "text": name,
             "font": {"size": 13, "color": DARK}, "bgcolor": "#ffffff"}
            for seg, name in zip(result.segments, period_names(xs, result), strict=False)]


NATIONAL, RANGE = "#007f3b", "rgba(0, 127, 59, 0.12)"
BAND_WORDS = {"better": "Better than expected", "about_same": "About the same as expected",
              "worse": "Worse than expected"}


def add_reference(figure: dict[str, Any], table: Table, labels: list[str], starts: list[Any],
                  reference: list[Any], bands: list[str | None]) -> Table:
    """Draw the national value of each charted period as a line, and its published range as
    a shaded band; the table with both (and the survey's band for the site) added."""
    by_period = {r.period_start: r for r in reference}
    ref = [by_period.get(s) for s in starts]
    xs = [labels[i] for i, r in enumerate(ref) if r is not None]
    ranged = [(labels[i], r) for i, r in enumerate(ref)
              if r is not None and r.lower is not None and r.upper is not None]
    if ranged:
        figure["data"].append({
            "type": "scatter", "mode": "lines", "name": "National range (lower)",
            "x": [x for x, _ in ranged], "y": [r.lower for _, r in ranged],
            "line": {"width": 0, "color": NATIONAL}, "hoverinfo": "skip", "showlegend": False,
            "legendgroup": "National range"})
        figure["data"].append({
            "type": "scatter", "mode": "lines", "name": "National range",
            "x": [x for x, _ in ranged], "y": [r.upper for _, r in ranged],
            "fill": "tonexty", "fillcolor": RANGE, "line": {"width": 0, "color": NATIONAL},
            "hoverinfo": "skip", "legendgroup": "National range"})
    if xs:
        figure["data"].append({
            "type": "scatter", "mode": "lines+markers", "name": "National value",
            "x": xs, "y": [r.value for r in ref if r is not None],
            "line": {"color": NATIONAL, "dash": "longdash", "width": 2},
            "marker": {"color": NATIONAL, "symbol": "x", "size": 9},
            "hovertemplate": "%{x}: %{y}<extra>National value</extra>"})
    rows = []
    for i, row in enumerate(table.rows):
        r = ref[i]
        rows.append([*row, _num(r.value) if r else "",
                     f"{_num(r.lower)} to {_num(r.upper)}" if r and r.lower is not None
                     and r.upper is not None else "",
                     BAND_WORDS.get(bands[i] or "", "")])
    return Table(table.caption, [*table.columns, "National value", "National range",
                                 "Survey band"], rows)


def _line(name: str, xs: list[str], ys: list[float | None], dash: str, colour: str, width: int,
          *, legend: bool = True) -> dict[str, Any]:
    group = name.split(" (")[0]
    return {"type": "scatter", "mode": "lines", "name": name, "x": xs, "y": ys,
            "legendgroup": group, "showlegend": legend, "hoverinfo": "skip",
            "line": {"color": colour, "dash": dash, "width": width}}


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def data_table(labels: list[str], result: XmRResult | RunChartResult, notes: list[str],
               *, caption: str) -> Table:
    """Every point with its centre line, limits and the rules it triggered."""
    xmr = isinstance(result, XmRResult)
    columns = ["Period", "Value", "Mean" if xmr else "Median"]
    if xmr:
        columns += ["Lower process limit", "Upper process limit"]
    columns += ["Variation", "Rules", "Notes"]
    rows = []
    for i, p in enumerate(result.points):
        row: list[Any] = [labels[i], _num(p.value), _num(p.mean if xmr else p.median)]
        if xmr:
            row += [_num(p.lower), _num(p.upper)]
        rules = [RULE_NAMES[r] for r in RULE_ORDER if r in p.flags]
        row += [KINDS[p.variation][0], "; ".join(rules), notes[i]]
        rows.append(row)
    return table(caption, columns, rows)


def _num(value: float | None) -> Any:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(float(value), 2)
