"""The periods either side of a recalculation of limits, compared: numbers in, findings out.

When a team recalculates a chart's limits because a change took hold, each period is judged
against its own limits, so the latest point may well be common cause. The story is in the
comparison: the mean before and after, and whether the new values are a special cause against
the limits that held before the change.
"""

from dataclasses import dataclass

from imroc.spc.rules import (
    HIGH,
    LOW,
    OUTSIDE,
    SHIFT,
    TREND,
    TWO_OF_THREE,
    Variation,
    XmRResult,
    signals_against,
    variation_of,
)

# A mean of one or two values says too little about a period to compare it with another.
MIN_POINTS_TO_COMPARE = 3


@dataclass(frozen=True)
class PeriodComparison:
    """The last recalculation: the values from `start` on, against the period before."""

    start: int  # index of the first value judged against the new limits
    before_mean: float
    after_mean: float
    before_count: int
    after_count: int
    enough: bool  # enough values after the recalculation to compare the periods
    variation: Variation  # of the new values against the earlier limits
    side: str | None  # HIGH or LOW: where the signals that decide the variation lie
    longest_run: int  # the longest run of new values on that side of the earlier mean
    outside: int  # new values beyond the earlier process limit on that side
    trend: bool  # the new values hold a trend in that direction
    near_limit: bool  # two of three new values close to the earlier limit on that side

    @property
    def change(self) -> str:
        """"rose", "fell" or "unchanged" (means equal to the precision people read)."""
        if round(self.after_mean, 2) == round(self.before_mean, 2):
            return "unchanged"
        return "rose" if self.after_mean > self.before_mean else "fell"


def compare_periods(result: XmRResult) -> PeriodComparison | None:
    """Compare the last period of an XmR chart with the one before; None if never rebased."""
    if len(result.segments) < 2:
        return None
    before, after = result.segments[-2], result.segments[-1]
    values = [p.value for p in result.points[after.start:after.end]]
    count = len(values)
    signals = signals_against(values, before, shift_length=result.shift_length,
                              trend_length=result.trend_length)
    every = set().union(*signals)
    enough = count >= MIN_POINTS_TO_COMPARE
    variation = variation_of(every, result.direction) if enough else Variation.COMMON_CAUSE
    side = _deciding_side(every, variation, result.direction) if enough else None
    on_side = signals if side is not None else []
    return PeriodComparison(
        start=after.start, before_mean=before.mean, after_mean=after.mean,
        before_count=before.end - before.start, after_count=count, enough=enough,
        variation=variation, side=side,
        longest_run=_longest(signals, SHIFT, side),
        outside=sum(1 for s in on_side if (OUTSIDE, side) in s),
        trend=any((TREND, side) in s for s in on_side),
        near_limit=any((TWO_OF_THREE, side) in s for s in on_side))


def _deciding_side(every: set[tuple[str, str]], variation: Variation, direction: str) -> str | None:
    sides = {side for _rule, side in every}
    if not sides:
        return None
    good = HIGH if direction == "up" else LOW
    if variation is Variation.SPECIAL_CAUSE_IMPROVING:
        return good
    if variation is Variation.SPECIAL_CAUSE_CONCERNING:
        bad = LOW if good == HIGH else HIGH
        return bad if bad in sides else good
    # No preferred direction: the side with more signals tells where the values went.
    return max(sorted(sides), key=lambda s: sum(1 for _r, side in every if side == s))


def _longest(signals: list[set[tuple[str, str]]], rule: str, side: str | None) -> int:
    best = run = 0
    for s in signals:
        run = run + 1 if side is not None and (rule, side) in s else 0
        best = max(best, run)
    return best
