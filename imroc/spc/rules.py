"""Statistical process control arithmetic in the NHS England "Making Data Count" style.

Numbers in, flags out: XmR charts with the four special-cause rules, run charts for short
series, and the variation and assurance icons. The summary sentence is in summary.py, the
comparison of the periods either side of a recalculation in compare.py.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from imroc.spc.runs import (
    HIGH,
    LOW,
    SHIFT,
    TREND,
    mark,
    run_rules,
    side_runs,
    sign,
    trend_runs,
)
from imroc.spc.runs import (
    median as median_of,
)

Direction = Literal["up", "down", "neutral"]

OUTSIDE, TWO_OF_THREE = "outside", "two_of_three"
RULE_ORDER = (OUTSIDE, SHIFT, TREND, TWO_OF_THREE)

# 2.66 = 3 / 1.128 (d2 for moving ranges of two points): turns the mean moving range into 3 sigma.
LIMIT_FACTOR = 2.66
BAND_FACTOR = LIMIT_FACTOR * 2 / 3  # the 2-sigma line used by the two-out-of-three rule
# Making Data Count treats limits from fewer than 12 points as provisional ("trial").
MIN_POINTS_FOR_FIRM_LIMITS = 12
# Values closer than this (relative to the segment's largest magnitude) count as equal, so float
# noise such as 0.1 + 0.2 cannot lift a point that is "on the mean" above it.
_REL_TOL = 1e-12
_TWO_OF_THREE_TEXT = (
    "Two out of three points in a row beyond two-sigma on the same side of the mean, "
    "close to a process limit"
)


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        """Human text for the icon, as shown to NHS staff."""
        return _LABELS[self]


class Variation(_Labelled):
    COMMON_CAUSE = "common_cause"
    SPECIAL_CAUSE_IMPROVING = "special_cause_improving"
    SPECIAL_CAUSE_CONCERNING = "special_cause_concerning"
    SPECIAL_CAUSE_NEUTRAL = "special_cause_neutral"


class Assurance(_Labelled):
    CONSISTENTLY_PASSES = "consistently_passes"
    CONSISTENTLY_FAILS = "consistently_fails"
    HIT_AND_MISS = "hit_and_miss"
    NONE = "none"


_LABELS: dict[StrEnum, str] = {
    Variation.COMMON_CAUSE: "Common cause variation",
    Variation.SPECIAL_CAUSE_IMPROVING: "Special cause variation – improving",
    Variation.SPECIAL_CAUSE_CONCERNING: "Special cause variation – concerning",
    Variation.SPECIAL_CAUSE_NEUTRAL: "Special cause variation – no preferred direction",
    Assurance.CONSISTENTLY_PASSES: "The target will consistently be met",
    Assurance.CONSISTENTLY_FAILS: "The target will consistently be missed",
    Assurance.HIT_AND_MISS: "The target will be hit and miss",
    Assurance.NONE: "No assurance against a target",
}


@dataclass(frozen=True)
class Segment:
    """Limits in force for points[start:end]; limits are None when computed from one point."""

    start: int
    end: int
    mean: float
    mr_bar: float | None
    upper: float | None
    lower: float | None
    upper_2s: float | None
    lower_2s: float | None
    points_used: int
    trial: bool


@dataclass(frozen=True)
class Point:
    index: int
    value: float
    mean: float
    upper: float | None
    lower: float | None
    upper_2s: float | None
    lower_2s: float | None
    segment: int
    flags: tuple[str, ...]  # rule codes in RULE_ORDER
    signals: tuple[tuple[str, str], ...]  # (rule, HIGH|LOW) for each signal the point is in
    variation: Variation


@dataclass(frozen=True)
class XmRResult:
    points: tuple[Point, ...]
    segments: tuple[Segment, ...]
    direction: Direction
    target: float | None
    shift_length: int
    trend_length: int
    rules: tuple[tuple[str, str], ...]
    variation: Variation  # of the latest point
    assurance: Assurance  # against the last segment's limits
    trial: bool  # the last segment's limits come from fewer than 12 points


@dataclass(frozen=True)
class RunPoint:
    index: int
    value: float
    median: float
    flags: tuple[str, ...]
    signals: tuple[tuple[str, str], ...]
    variation: Variation


@dataclass(frozen=True)
class RunChartResult:
    points: tuple[RunPoint, ...]
    median: float
    direction: Direction
    shift_length: int
    trend_length: int
    rules: tuple[tuple[str, str], ...]
    variation: Variation


def xmr(
    values: Sequence[float],
    *,
    direction: Direction = "neutral",
    target: float | None = None,
    shift_length: int = 7,
    trend_length: int = 7,
    baseline: int | None = None,
    rebase_at: Sequence[int] = (),
) -> XmRResult:
    """Compute an XmR chart's limits per segment and flag special causes point by point."""
    xs = _check(values, direction, shift_length, trend_length)
    if target is not None and not math.isfinite(target):
        raise ValueError("target must be a finite number or None")
    if baseline is not None and baseline < 1:
        raise ValueError(f"baseline must be at least 1 point, got {baseline}")
    for i in rebase_at:
        if not 0 <= i < len(xs):
            raise ValueError(f"rebase index {i} is outside the series (0..{len(xs) - 1})")
    cuts = sorted({0, len(xs), *rebase_at})
    segments = tuple(_limits(xs, a, b, baseline) for a, b in itertools.pairwise(cuts))
    points: list[Point] = []
    for number, seg in enumerate(segments):
        # Rules never look across a rebase: each segment is judged against its own limits.
        signals = _xmr_signals(xs[seg.start : seg.end], seg, shift_length, trend_length)
        for offset, sig in enumerate(signals):
            i = seg.start + offset
            points.append(Point(i, xs[i], seg.mean, seg.upper, seg.lower, seg.upper_2s,
                                seg.lower_2s, number, *_row(sig, direction)))
    rules = (
        (OUTSIDE, "A point above the upper or below the lower process limit"),
        *run_rules(shift_length, trend_length, "mean", "a point on the mean breaks the run"),
        (TWO_OF_THREE, _TWO_OF_THREE_TEXT),
    )
    return XmRResult(tuple(points), segments, direction, target, shift_length, trend_length,
                     rules, points[-1].variation, _assurance(segments[-1], direction, target),
                     segments[-1].trial)


def run_chart(
    values: Sequence[float],
    *,
    direction: Direction = "neutral",
    shift_length: int = 6,
    trend_length: int = 5,
) -> RunChartResult:
    """Flag shifts around the median and trends, for series too short for XmR limits."""
    # Defaults follow NHS England's run chart guidance: a shift is six or more points on one
    # side of the median, a trend five or more points all going up or all going down.
    xs = _check(values, direction, shift_length, trend_length)
    median = median_of(xs)
    tol = _REL_TOL * max(abs(x) for x in xs)
    sides = [sign(x - median, tol) for x in xs]
    sig: list[set[tuple[str, str]]] = [set() for _ in xs]
    # On a run chart, points on the median are ignored: they neither extend nor break a run.
    mark(sig, SHIFT, side_runs(sides, shift_length, zero_breaks=False))
    mark(sig, TREND, trend_runs(xs, trend_length, tol))
    points = tuple(
        RunPoint(i, x, median, *_row(s, direction)) for i, (x, s) in enumerate(zip(xs, sig, strict=True))
    )
    rules = run_rules(shift_length, trend_length, "median", "points on the median are ignored")
    return RunChartResult(points, median, direction, shift_length, trend_length, rules,
                          points[-1].variation)


def _check(values: Sequence[float], direction: str, shift: int, trend: int) -> list[float]:
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("SPC needs at least one value; the series is empty")
    if not all(math.isfinite(x) for x in xs):
        raise ValueError("SPC values must be finite numbers (no NaN or infinity)")
    if direction not in ("up", "down", "neutral"):
        raise ValueError(f"direction must be 'up', 'down' or 'neutral', got {direction!r}")
    if shift < 2 or trend < 2:
        raise ValueError("shift_length and trend_length must each be at least 2")
    return xs


def _mean(xs: Sequence[float]) -> float:
    try:
        return statistics.fmean(xs)  # correctly rounded, so exact data gives an exact mean
    except OverflowError:  # the sum of huge values overflows: average them scaled down
        scale = max(abs(x) for x in xs)
        return scale * statistics.fmean(x / scale for x in xs)


def _limits(xs: list[float], start: int, end: int, baseline: int | None) -> Segment:
    used = xs[start : end if baseline is None else min(end, start + baseline)]
    mean = _mean(used)
    trial = len(used) < MIN_POINTS_FOR_FIRM_LIMITS
    if len(used) < 2:
        # One point has no moving range, so there is no measure of spread: we report no limits
        # rather than pretend the process never varies.
        return Segment(start, end, mean, None, None, None, None, None, len(used), trial)
    # Moving ranges stay inside the baseline: the jump across a rebase is the change itself.
    mr_bar = _mean([abs(b - a) for a, b in itertools.pairwise(used)])
    return Segment(start, end, mean, mr_bar, mean + LIMIT_FACTOR * mr_bar,
                   mean - LIMIT_FACTOR * mr_bar, mean + BAND_FACTOR * mr_bar,
                   mean - BAND_FACTOR * mr_bar, len(used), trial)


def signals_against(xs: Sequence[float], seg: Segment, *, shift_length: int,
                    trend_length: int) -> list[set[tuple[str, str]]]:
    """Each value's (rule, side) signals judged against a segment's limits, which may be
    another segment's (the values after a recalculation against the limits before it)."""
    return _xmr_signals([float(x) for x in xs], seg, shift_length, trend_length)


def variation_of(signals: set[tuple[str, str]], direction: Direction) -> Variation:
    """The variation a set of (rule, side) signals shows for a measure's direction."""
    return _row(signals, direction)[2]


def _xmr_signals(
    xs: list[float], seg: Segment, shift_length: int, trend_length: int
) -> list[set[tuple[str, str]]]:
    tol = _REL_TOL * max(abs(x) for x in [*xs, seg.mean])
    sig: list[set[tuple[str, str]]] = [set() for _ in xs]
    sides = [sign(x - seg.mean, tol) for x in xs]
    if seg.upper is not None and seg.lower is not None:
        mark(sig, OUTSIDE, [([i], s) for i, (x, s) in enumerate(zip(xs, sides, strict=True))
                             if sign(x - seg.upper, tol) > 0 or sign(x - seg.lower, tol) < 0])
    mark(sig, SHIFT, side_runs(sides, shift_length, zero_breaks=True))
    mark(sig, TREND, trend_runs(xs, trend_length, tol))
    if seg.upper_2s is not None and seg.lower_2s is not None:
        beyond = [1 if sign(x - seg.upper_2s, tol) > 0 else -1 if sign(x - seg.lower_2s, tol) < 0
                  else 0 for x in xs]
        for w in range(len(xs) - 2):
            for side in (1, -1):
                hits = [j for j in range(w, w + 3) if beyond[j] == side]
                if len(hits) >= 2:  # same side only: one high and one low is not a signal
                    mark(sig, TWO_OF_THREE, [(hits, side)])
    return sig


def _row(
    sig: set[tuple[str, str]], direction: str
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], Variation]:
    signals = tuple(sorted(sig, key=lambda s: (RULE_ORDER.index(s[0]), s[1])))
    flags = tuple(dict.fromkeys(rule for rule, _ in signals))
    good = HIGH if direction == "up" else LOW
    # Mixed signals (say a rising trend still below the mean) count as concerning, so a warning
    # is never hidden behind a coincident sign of improvement.
    variation = (Variation.COMMON_CAUSE if not sig
                 else Variation.SPECIAL_CAUSE_NEUTRAL if direction == "neutral"
                 else Variation.SPECIAL_CAUSE_IMPROVING if all(side == good for _, side in sig)
                 else Variation.SPECIAL_CAUSE_CONCERNING)
    return flags, signals, variation


def _assurance(seg: Segment, direction: str, target: float | None) -> Assurance:
    if target is None or direction == "neutral" or seg.upper is None or seg.lower is None:
        return Assurance.NONE
    # Only a target strictly outside the limits is consistently met or missed; a target on a
    # limit is still within the process's ordinary range, so it is hit and miss.
    if seg.lower > target:
        return Assurance.CONSISTENTLY_PASSES if direction == "up" else Assurance.CONSISTENTLY_FAILS
    if seg.upper < target:
        return Assurance.CONSISTENTLY_FAILS if direction == "up" else Assurance.CONSISTENTLY_PASSES
    return Assurance.HIT_AND_MISS
