"""The variation and assurance icons of NHS England's "Making Data Count", drawn as our own
inline SVG. Pure: the icon's meaning in, an escaped SVG string out.

The conventions followed: a ringed circle; variation shows a little run of dots, grey for
common cause, blue for special cause improvement, orange for concern and purple where neither
direction is better, with H or L for higher or lower values; assurance shows the target as a
line with P (the target will consistently pass), F (consistently fail) or ? (hit and miss),
blue, orange and grey in turn. The colours are the chart's own (spc/chart.py), darkened to
3:1 against white. Each icon is an image with a title, so it has a text alternative wherever
it is drawn: pages, the printed report and its PDF (attributes, not CSS, carry the colours).
"""

from markupsafe import Markup, escape

from imroc.spc.rules import HIGH, LOW, Assurance, Direction, Point, RunPoint, Variation

GREY, BLUE, ORANGE, PURPLE = "#5e6b75", "#005eb8", "#a84b00", "#6b2c91"
VARIATION_COLOURS = {
    Variation.COMMON_CAUSE: GREY,
    Variation.SPECIAL_CAUSE_IMPROVING: BLUE,
    Variation.SPECIAL_CAUSE_CONCERNING: ORANGE,
    Variation.SPECIAL_CAUSE_NEUTRAL: PURPLE,
}
ASSURANCE_MARKS = {
    Assurance.CONSISTENTLY_PASSES: (BLUE, "P"),
    Assurance.CONSISTENTLY_FAILS: (ORANGE, "F"),
    Assurance.HIT_AND_MISS: (GREY, "?"),
}
FONT = "Arial, Helvetica, sans-serif"
# Seven dots across the circle; a common-cause run wavers about the middle.
_XS = (9, 12.7, 16.3, 20, 23.7, 27.3, 31)
_WAVER = (27, 25, 28, 25.5, 27.5, 25, 26.5)


def side(point: Point | RunPoint, direction: Direction) -> str | None:
    """Whether a special-cause point is high (H) or low (L); None for common cause."""
    sides = {s for _rule, s in point.signals}
    if point.variation is Variation.COMMON_CAUSE or not sides:
        return None
    good = HIGH if direction == "up" else LOW
    if point.variation is Variation.SPECIAL_CAUSE_IMPROVING:
        return good
    if point.variation is Variation.SPECIAL_CAUSE_CONCERNING:
        bad = LOW if good == HIGH else HIGH
        return bad if bad in sides else good
    return HIGH if HIGH in sides else LOW


def variation_text(variation: Variation, high_or_low: str | None) -> str:
    """The icon's words: "Special cause variation – improving (higher values)"."""
    if variation is Variation.COMMON_CAUSE or high_or_low is None:
        return variation.label
    return f"{variation.label} ({'higher' if high_or_low == HIGH else 'lower'} values)"


def variation_svg(variation: Variation, high_or_low: str | None = None, *,
                  size: int = 32) -> Markup:
    """The variation icon: a run of dots, the last ones high or low, and H or L."""
    colour = VARIATION_COLOURS[variation]
    parts = [_open(size, variation_text(variation, high_or_low), colour)]
    if variation is Variation.COMMON_CAUSE or high_or_low is None:
        ys = _WAVER
        letter = ""
    else:
        # Four ordinary points, then three that moved: up for H, down for L.
        ys = (29, 28, 29.5, 28.5, 23, 22, 21) if high_or_low == HIGH \
            else (22, 23, 21.5, 22.5, 28, 29, 30)
        letter = "H" if high_or_low == HIGH else "L"
    dots = [f'<circle cx="{x}" cy="{y}" r="1.9" fill="{GREY if i < 4 or not letter else colour}"/>'
            for i, (x, y) in enumerate(zip(_XS, ys, strict=True))]
    parts.append(f'<polyline points="{" ".join(f"{x},{y}" for x, y in zip(_XS, ys, strict=True))}" '
                 f'fill="none" stroke="{GREY}" stroke-width="1"/>')
    parts.extend(dots)
    if letter:
        parts.append(_letter(letter, colour, y=16))
    parts.append("</svg>")
    return Markup("".join(parts))


def assurance_svg(assurance: Assurance, *, size: int = 32) -> Markup:
    """The assurance icon: P, F or ? above the target's line."""
    colour, letter = ASSURANCE_MARKS[assurance]
    return Markup("".join([
        _open(size, assurance.label, colour),
        f'<line x1="8" y1="27" x2="32" y2="27" stroke="{colour}" stroke-width="2" '
        f'stroke-dasharray="3 2"/>',
        _letter(letter, colour, y=22, font_size=15),
        "</svg>",
    ]))


def _open(size: int, text: str, colour: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="app-spc-icon__svg" role="img" '
            f'aria-label="{escape(text)}" focusable="false" width="{size}" height="{size}" '
            f'viewBox="0 0 40 40"><title>{escape(text)}</title>'
            f'<circle cx="20" cy="20" r="17.5" fill="#ffffff" stroke="{colour}" '
            f'stroke-width="3"/>')


def _letter(letter: str, colour: str, *, y: float, font_size: int = 13) -> str:
    return (f'<text x="20" y="{y}" font-family="{FONT}" font-size="{font_size}" '
            f'font-weight="bold" fill="{colour}" text-anchor="middle">{escape(letter)}</text>')
