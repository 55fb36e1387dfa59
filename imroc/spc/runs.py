"""Runs in a series: points on one side of a centre line, and points all rising or all
falling. Both XmR charts and run charts judge shifts and trends with these."""

from __future__ import annotations

from collections.abc import Sequence

SHIFT, TREND = "shift", "trend"
HIGH, LOW = "high", "low"  # side of a signal: above the centre / rising, or below / falling
_SKIP_EQUAL = "equal neighbouring values are skipped"


def run_rules(shift: int, trend: int, centre: str, on_centre: str) -> tuple[tuple[str, str], ...]:
    return (
        (SHIFT, f"{shift} or more points in a row all above or all below the {centre} ({on_centre})"),
        (TREND, f"{trend} or more points in a row all rising or all falling ({_SKIP_EQUAL})"),
    )


def median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    mid = len(s) // 2
    # Halve before adding so two huge middle values cannot overflow to infinity.
    return s[mid] if len(s) % 2 else s[mid - 1] / 2 + s[mid] / 2


def side_runs(sides: list[int], length: int, zero_breaks: bool) -> list[tuple[list[int], int]]:
    runs: list[tuple[list[int], int]] = []
    open_run = False
    for i, side in enumerate(sides):
        if side == 0:  # on the centre line: never counted; breaks the run only if asked
            open_run = open_run and not zero_breaks
        elif open_run and runs[-1][1] == side:
            runs[-1][0].append(i)
        else:
            runs.append(([i], side))
            open_run = True
    return [run for run in runs if len(run[0]) >= length]


def trend_runs(xs: list[float], length: int, tol: float) -> list[tuple[list[int], int]]:
    runs: list[tuple[int, int, int, int]] = []  # (first, last, direction, points counted)
    first = last = direction = 0
    count = 1
    for i in range(1, len(xs)):
        step = sign(xs[i] - xs[i - 1], tol)
        if step == 0:  # equal neighbours neither extend nor break a trend
            continue
        if step == direction:
            last, count = i, count + 1
        else:
            if direction:
                runs.append((first, last, direction, count))
            # The turning point belongs to both trends, as on Making Data Count charts.
            first, last, direction, count = i - 1, i, step, 2
    if direction:
        runs.append((first, last, direction, count))
    return [(list(range(a, b + 1)), d) for a, b, d, n in runs if n >= length]


def sign(difference: float, tol: float) -> int:
    return 0 if abs(difference) <= tol else (1 if difference > 0 else -1)


def mark(sig: list[set[tuple[str, str]]], rule: str, runs: list[tuple[list[int], int]]) -> None:
    for indices, side in runs:
        for i in indices:
            sig[i].add((rule, HIGH if side > 0 else LOW))
