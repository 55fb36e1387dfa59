"""Static SVG bar charts for printed reports, drawn on the server (a PDF runs no JavaScript).

Pure: plain numbers and labels in, an escaped SVG string out. Every piece of text goes
through `escape`, so a hostile site or action name stays text. Each chart is an image with
a title and a description for screen readers, and the page always shows the same numbers
in a table. Series differ by fill (solid or outlined) as well as colour, and every bar
carries its value, so nothing depends on colour alone. Colours have 3:1 contrast on white.
"""

import re
from collections.abc import Sequence

from markupsafe import Markup, escape

from imroc.spc.chart import GREY as SPC_GREY
from imroc.spc.chart import KINDS
from imroc.spc.rules import RunChartResult, XmRResult

SOLID, OUTLINE, INK, GRID = "#005eb8", "#425563", "#212b32", "#aeb7bd"
# Bars of means: a colour of their own, never a level's (imroc/charts.py LEVEL_COLOURS).
MEAN = "#7c2855"
FONT = "Arial, Helvetica, sans-serif"
LABEL_WIDTH = 240
WIDTH = 680
ROW_GAP = 8


def _id(text: str) -> str:
    """An id safe in an attribute: lower-case letters, digits and hyphens only."""
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "chart"


def _text(x: float, y: float, content: object, *, anchor: str = "start", size: int = 12,
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" '
            f'font-weight="{weight}" fill="{INK}" text-anchor="{anchor}">{escape(content)}</text>')


def _clip(label: str, limit: int = 36) -> str:
    """Long labels are shortened in the drawing only; the table keeps them whole."""
    return label if len(label) <= limit else label[:limit - 1].rstrip() + "…"


def bar_chart(chart_id: str, title: str, description: str, labels: Sequence[str],
              series: Sequence[tuple[str, Sequence[float | None]]], *, maximum: float,
              ticks: Sequence[tuple[float, str]] = (), colour: str = SOLID) -> Markup:
    """Horizontal bars, one group per label and one bar per series (at most two series:
    the first solid, the second outlined). A missing value draws no bar and says so."""
    cid = _id(chart_id)
    series = list(series)[:2]
    bar_h = 12 if len(series) > 1 else 16
    group_h = bar_h * len(series) + ROW_GAP
    legend_h = 26 if len(series) > 1 else 0
    top = 10 + legend_h
    plot_w = WIDTH - LABEL_WIDTH - 70
    height = top + group_h * len(labels) + 34
    scale = plot_w / maximum if maximum else 0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-report-chart" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{cid}-title {cid}-desc">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]
    if len(series) > 1:
        x = LABEL_WIDTH
        for i, (name, _values) in enumerate(series):
            fill, stroke = (colour, colour) if i == 0 else ("#ffffff", OUTLINE)
            parts.append(f'<rect x="{x}" y="8" width="16" height="12" fill="{fill}" '
                         f'stroke="{stroke}" stroke-width="2"/>')
            parts.append(_text(x + 22, 18, name))
            x += 30 + 7 * len(str(name)) + 20
    bottom = top + group_h * len(labels)
    for value, name in ticks:
        gx = LABEL_WIDTH + value * scale
        parts.append(f'<line x1="{gx:.1f}" y1="{top - 4}" x2="{gx:.1f}" y2="{bottom}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(gx, bottom + 16, name, anchor="middle", size=11))
    for row, label in enumerate(labels):
        y = top + row * group_h
        parts.append(_text(LABEL_WIDTH - 8, y + (group_h - ROW_GAP) / 2 + 4, _clip(str(label)),
                           anchor="end"))
        for i, (_name, values) in enumerate(series):
            value = values[row]
            by = y + i * bar_h
            if value is None:
                parts.append(_text(LABEL_WIDTH + 4, by + bar_h - 3, "no level", size=11))
                continue
            w = max(float(value) * scale, 0)
            fill, stroke = (colour, colour) if i == 0 else ("#ffffff", OUTLINE)
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{by + 1:.1f}" width="{w:.1f}" '
                         f'height="{bar_h - 3}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>')
            shown = int(value) if float(value).is_integer() else round(float(value), 2)
            parts.append(_text(LABEL_WIDTH + w + 6, by + bar_h - 3, shown, size=11,
                               weight="bold" if i == 0 else "normal"))
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{top - 4}" x2="{LABEL_WIDTH}" y2="{bottom}" '
                 f'stroke="{INK}" stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def level_chart(labels: Sequence[str], latest: tuple[str, Sequence[int | None]],
                previous: tuple[str, Sequence[int | None]] | None,
                scale: Sequence[tuple[int, str]]) -> Markup:
    """The agreed level on each challenge, this cycle against the one before."""
    series = [latest] + ([previous] if previous else [])
    names = " and ".join(name for name, _ in series)
    return bar_chart(
        "chart-levels", "Agreed level on each of the ten challenges",
        f"Bar chart of the agreed level (0 to {max((lv for lv, _ in scale), default=3)}) per "
        f"challenge: {names}. The same numbers are in the table that follows.",
        labels, series, maximum=max((lv for lv, _ in scale), default=3),
        ticks=[(lv, f"{lv} {name}") for lv, name in scale])


def status_chart(counts: Sequence[tuple[str, int]]) -> Markup:
    """How many actions of the plan are at each status."""
    top = max((c for _, c in counts), default=0)
    step = max(1, -(-top // 5))
    return bar_chart(
        "chart-actions", "Actions by status",
        "Bar chart of the number of actions at each status. The same numbers are in the "
        "table that follows.",
        [name for name, _ in counts], [("Actions", [c for _, c in counts])],
        maximum=max(top, 1), ticks=[(v, str(v)) for v in range(0, max(top, 1) + 1, step)])


# SPC charts: a marker shape per kind of point as on screen (spc/chart.py), so nothing rests
# on colour alone; the mean solid, the process limits dashed, the target dash-dotted.
SPC_HEIGHT = 280
_PLOT = (60, 30, WIDTH - 20, SPC_HEIGHT - 42)  # left, top, right, bottom
TARGET = "#d5281b"


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if kind == "diamond":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
                f'{x - 5:.1f},{y:.1f}" fill="{colour}"/>')
    if kind == "triangle-up":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} '
                f'{x - 5:.1f},{y + 4:.1f}" fill="{colour}"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'


def _num(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def spc_chart(chart_id: str, title: str, description: str, labels: Sequence[str],
              result: XmRResult | RunChartResult, *, target: float | None = None,
              period_names: Sequence[str] = ()) -> Markup:
    """A measure's SPC (or run) chart: its values coloured by variation, with the mean and
    process limits of each period of limits (the median for a run chart) and the target."""
    cid = _id(chart_id)
    points = list(result.points)
    segments = list(result.segments) if isinstance(result, XmRResult) else []
    left, top, right, bottom = _PLOT
    seen = [p.value for p in points]
    for seg in segments:
        seen += [v for v in (seg.mean, seg.upper, seg.lower) if v is not None]
    if target is not None:
        seen.append(target)
    low, high = min(seen), max(seen)
    pad = (high - low) * 0.08 or abs(high) * 0.1 or 1
    low, high = low - pad, high + pad
    n = len(points)
    step = (right - left) / max(n - 1, 1)

    def sx(i: float) -> float:
        return left + i * step if n > 1 else (left + right) / 2

    def sy(v: float) -> float:
        return bottom - (v - low) / (high - low) * (bottom - top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-report-chart" role="img" '
        f'width="{WIDTH}" height="{SPC_HEIGHT}" viewBox="0 0 {WIDTH} {SPC_HEIGHT}" '
        f'aria-labelledby="{cid}-title {cid}-desc">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]
    for k in range(5):  # five grid lines with their values
        v = low + (high - low) * k / 4
        parts.append(f'<line x1="{left}" y1="{sy(v):.1f}" x2="{right}" y2="{sy(v):.1f}" '
                     f'stroke="{GRID}" stroke-width="0.5"/>')
        parts.append(_text(left - 6, sy(v) + 4, _num(v), anchor="end", size=10))
    every = max(1, -(-n // 8))
    for i in range(0, n, every):
        parts.append(_text(sx(i), bottom + 16, labels[i], anchor="middle", size=10))

    def level(start: int, end: int, value: float | None, dash: str, colour: str) -> None:
        if value is None:
            return
        x0, x1 = sx(start), sx(end - 1) if end - 1 > start else sx(start) + 4
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{x0:.1f}" y1="{sy(value):.1f}" x2="{x1:.1f}" '
                     f'y2="{sy(value):.1f}" stroke="{colour}" stroke-width="1.5"{dashes}/>')

    for number, seg in enumerate(segments):
        level(seg.start, seg.end, seg.mean, "", OUTLINE)
        level(seg.start, seg.end, seg.upper, "6 4", OUTLINE)
        level(seg.start, seg.end, seg.lower, "6 4", OUTLINE)
        if number < len(period_names):
            if number:  # where the limits were recalculated
                x = sx(seg.start) - step / 2
                parts.append(f'<line x1="{x:.1f}" y1="{top - 14}" x2="{x:.1f}" y2="{bottom}" '
                             f'stroke="#330072" stroke-width="1" stroke-dasharray="2 2"/>')
            parts.append(_text(sx(seg.start) + (4 if number else 0), top - 16,
                               period_names[number], size=11, weight="bold"))
    if isinstance(result, RunChartResult):
        level(0, n, result.median, "", OUTLINE)
    if target is not None:
        level(0, n, target, "8 3 2 3", TARGET)
    path = " ".join(f"{sx(i):.1f},{sy(p.value):.1f}" for i, p in enumerate(points))
    if n > 1:
        parts.append(f'<polyline points="{path}" fill="none" stroke="{SPC_GREY}" '
                     f'stroke-width="1"/>')
    for i, p in enumerate(points):
        _name, colour, shape = KINDS[p.variation]
        parts.append(_marker(shape, sx(i), sy(p.value), colour))
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{INK}" '
                 f'stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
