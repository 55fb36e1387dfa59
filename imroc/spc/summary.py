"""The plain-English sentence shown under every SPC chart: numbers in, words out."""

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


def summary_sentence(result: XmRResult | RunChartResult, *, unit: str = "") -> str:
    """Describe the latest value, its variation and (for XmR) the target in plain English."""
    values = [p.value for p in result.points]
    previous = [_fmt(v, unit) for v in values[-2:-4:-1]]
    parts = [f"The latest value is {_fmt(values[-1], unit)}"
             + (f" (previous {' and '.join(previous)})." if previous else ".")]
    last = result.points[-1]
    if last.variation is Variation.COMMON_CAUSE:
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
