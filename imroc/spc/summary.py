"""The plain-English sentence shown under every SPC chart: numbers in, words out."""

from collections.abc import Sequence

from imroc.spc.compare import PeriodComparison, compare_periods
from imroc.spc.rules import (
    HIGH,
    MIN_POINTS_FOR_FIRM_LIMITS,
    OUTSIDE,
    SHIFT,
    TREND,
    TWO_OF_THREE,
    Assurance,
    RunChartResult,
    Variation,
    XmRResult,
)


def summary_sentence(result: XmRResult | RunChartResult, *, unit: str = "",
                     labels: Sequence[str] = ()) -> str:
    """Describe the latest value, its variation and (for XmR) the target in plain English;
    after a recalculation of limits, first how the new period compares with the one before."""
    values = [p.value for p in result.points]
    previous = [_fmt(v, unit) for v in values[-2:-4:-1]]
    parts = [f"The latest value is {_fmt(values[-1], unit)}"
             + (f" (previous {' and '.join(previous)})." if previous else ".")]
    compared = compare_periods(result) if isinstance(result, XmRResult) else None
    if compared is not None:
        parts.insert(0, period_sentence(compared, labels=labels, unit=unit,
                                        shift_length=result.shift_length))
    last = result.points[-1]
    if last.variation is Variation.COMMON_CAUSE and compared is not None:
        parts.append("Against the new limits, variation is common cause: no further sign of "
                     "change.")
    elif last.variation is Variation.COMMON_CAUSE:
        parts.append("Variation is common cause: no sign of change.")
    else:
        centre = "median" if isinstance(result, RunChartResult) else "mean"
        # Beyond a limit already says more than "close to" it, so that reason is not repeated.
        reasons = [_reason(rule, side, centre, result) for rule, side in last.signals
                   if not (rule == TWO_OF_THREE and (OUTSIDE, side) in last.signals)]
        why = ", ".join(reasons[:-1]) + (" and " if len(reasons) > 1 else "") + reasons[-1]
        kind = {Variation.SPECIAL_CAUSE_IMPROVING: ", indicating improvement",
                Variation.SPECIAL_CAUSE_CONCERNING: ", indicating concern"}.get(last.variation, "")
        parts.append(f"Variation is special cause{kind}: the latest value {why}.")
    if isinstance(result, XmRResult):
        seg = result.segments[-1]
        target = None if result.target is None else _fmt(result.target, unit)
        if seg.upper is None:
            parts.append("There are too few values to calculate process limits.")
        elif target is not None and result.direction == "neutral":
            parts.append(f"There is no assurance against the target of {target} because "
                         "neither higher nor lower is better for this measure.")
        elif target is not None:
            parts.append({
                Assurance.CONSISTENTLY_PASSES:
                    f"The target of {target} will consistently be met with the process as it is.",
                Assurance.CONSISTENTLY_FAILS:
                    f"The target of {target} will consistently be missed unless the process "
                    "changes.",
                Assurance.HIT_AND_MISS:
                    f"The target of {target} will be hit and miss with the process as it is.",
            }[result.assurance])
        if seg.upper is not None and seg.trial:
            parts.append(f"The limits are provisional: they are based on fewer than "
                         f"{MIN_POINTS_FOR_FIRM_LIMITS} values.")
    return " ".join(parts)


def period_sentence(c: PeriodComparison, *, labels: Sequence[str] = (), unit: str = "",
                    shift_length: int = 7) -> str:
    """The period since the limits were recalculated against the one before, in words."""
    when = labels[c.start] if c.start < len(labels) else f"value {c.start + 1}"
    opening = f"After limits were recalculated from {when}"
    if not c.enough:
        return (f"{opening} there {'is' if c.after_count == 1 else 'are'} only "
                f"{_count(c.after_count)} so far: too few to compare with the period before.")
    before, after = _fmt(c.before_mean, unit), _fmt(c.after_mean, unit)
    means = (f"the mean stayed at {after}" if c.change == "unchanged"
             else f"the mean {c.change} from {before} to {after}")
    if c.variation is Variation.COMMON_CAUSE:
        verdict = "the new values show no special cause"
        if c.after_count < shift_length:
            verdict += (f" yet (a run needs {shift_length} values; there "
                        f"{'is' if c.after_count == 1 else 'are'} {c.after_count})")
    else:
        kind = {Variation.SPECIAL_CAUSE_IMPROVING: "a special cause of improvement",
                Variation.SPECIAL_CAUSE_CONCERNING: "a special cause of concern"}.get(
                    c.variation, "a special cause")
        verdict = f"the new values show {kind} ({_evidence(c)})"
    return f"{opening} {means}; against the earlier limits, {verdict}."


def _evidence(c: PeriodComparison) -> str:
    above = "above" if c.side == HIGH else "below"
    found = []
    if c.longest_run:
        found.append(f"a run of {c.longest_run} {above} the earlier mean")
    if c.outside:
        limit = "upper" if c.side == HIGH else "lower"
        found.append(f"{_count(c.outside)} {above} the earlier {limit} limit")
    if not found and c.trend:
        found.append(f"a {'rising' if c.side == HIGH else 'falling'} trend")
    if not found and c.near_limit:
        found.append(f"two out of three values close to the earlier "
                     f"{'upper' if c.side == HIGH else 'lower'} limit")
    return " and ".join(found)


def _count(n: int) -> str:
    return f"{n} value{'s' if n != 1 else ''}"


def _reason(rule: str, side: str, centre: str, result: XmRResult | RunChartResult) -> str:
    above = "above" if side == HIGH else "below"
    limit = "upper" if side == HIGH else "lower"
    return {
        OUTSIDE: f"is {above} the {limit} process limit",
        SHIFT: f"is part of a run of {result.shift_length} or more values {above} the {centre}",
        TREND: f"is part of a {'rising' if side == HIGH else 'falling'} trend of "
               f"{result.trend_length} or more values",
        TWO_OF_THREE: f"is one of two out of three values close to the {limit} process limit",
    }[rule]


def fmt(x: float, unit: str) -> str:
    """A number as the summary sentences write it, with its unit."""
    return _fmt(x, unit)


def _fmt(x: float, unit: str) -> str:
    # Up to two decimals for everyday numbers; three significant figures for small fractions.
    text = f"{x:,.2f}".rstrip("0").rstrip(".") if abs(x) >= 1 else f"{x:.3g}"
    text = "0" if text in ("-0", "0") else text
    return text + unit if unit in ("", "%") else f"{text} {unit}"
