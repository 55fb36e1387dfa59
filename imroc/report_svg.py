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
