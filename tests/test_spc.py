"""Tests for imroc.spc.rules: hand-worked XmR and run-chart series, then property tests.

Every expected mean, mean moving range (mR-bar) and limit below is worked by hand in a comment:
process limits = mean ± 2.66 × mR-bar, two-sigma band = mean ± 1.7733 × mR-bar.
"""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imroc.spc.rules import (
    OUTSIDE,
    RULE_ORDER,
    SHIFT,
    TREND,
    TWO_OF_THREE,
    Assurance,
    RunChartResult,
    Variation,
    XmRResult,
    run_chart,
    xmr,
)
from imroc.spc.summary import summary_sentence

approx = pytest.approx


def flags(result: XmRResult | RunChartResult) -> list[tuple[str, ...]]:
    return [p.flags for p in result.points]


def flagged(result: XmRResult | RunChartResult, rule: str) -> list[int]:
    return [p.index for p in result.points if rule in p.flags]


# Twelve points, 10 and 12 alternating: mean = 132/12 = 11; the 11 moving ranges are all 2,
# so mR-bar = 2; limits 11 ± 5.32 = 5.68 .. 16.32; two-sigma band 11 ± 3.5467 = 7.4533 .. 14.5467.
# Used as a fixed baseline so later points are judged against these exact limits.
BASE12 = [10, 12] * 6


# --- Limits ---------------------------------------------------------------------------------


def test_limits_mean_and_moving_range_hand_worked():
    # 10, 12, 11, 13, 12: mean = 58/5 = 11.6; mRs 2, 1, 2, 1 -> mR-bar = 6/4 = 1.5
    # upper = 11.6 + 2.66 × 1.5 = 15.59, lower = 7.61; band = 11.6 ± 2.66 -> 14.26 / 8.94
    r = xmr([10, 12, 11, 13, 12])
    seg = r.segments[0]
    assert seg.mean == approx(11.6)
    assert seg.mr_bar == approx(1.5)
    assert (seg.upper, seg.lower) == (approx(15.59), approx(7.61))
    assert (seg.upper_2s, seg.lower_2s) == (approx(14.26), approx(8.94))
    p = r.points[2]
    assert (p.value, p.mean, p.upper, p.lower, p.upper_2s, p.lower_2s, p.segment) == (
        11, approx(11.6), approx(15.59), approx(7.61), approx(14.26), approx(8.94), 0)
    assert flags(r) == [()] * 5
    assert r.variation is Variation.COMMON_CAUSE


def test_limits_trial_when_fewer_than_12_points():
    # 11 points of 10/12: still trial; the 12th point makes the limits firm.
    assert xmr(BASE12[:11]).trial is True
    assert xmr(BASE12).trial is False
    assert xmr(BASE12).segments[0].points_used == 12


def test_limits_single_point_has_mean_but_no_limits():
    # One value: mean = the value; no moving range, so no limits (None), never a signal.
    r = xmr([42.0], direction="up", target=40)
    seg = r.segments[0]
    assert seg.mean == 42.0
    assert (seg.mr_bar, seg.upper, seg.lower, seg.upper_2s, seg.lower_2s) == (None,) * 5
    assert r.trial is True
    assert flags(r) == [()]
    assert r.variation is Variation.COMMON_CAUSE
    assert r.assurance is Assurance.NONE


def test_limits_all_equal_values_collapse_to_mean_without_signals():
    # 7, 7, 7, 7, 7, 7, 7, 7: mean 7, mR-bar 0 -> every limit is 7, no point is beyond one,
    # and every point is on the mean, so no shift either.
    r = xmr([7.0] * 8)
    seg = r.segments[0]
    assert seg.mr_bar == 0
    assert seg.upper == seg.lower == seg.upper_2s == seg.lower_2s == 7
    assert flags(r) == [()] * 8


def test_limits_empty_series_raises_value_error():
    with pytest.raises(ValueError, match="at least one value"):
        xmr([])
    with pytest.raises(ValueError, match="at least one value"):
        run_chart([])


def test_limits_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="finite"):
        xmr([1.0, math.nan, 2.0])
    with pytest.raises(ValueError, match="finite"):
        xmr([1.0, math.inf])
    with pytest.raises(ValueError, match="direction"):
        xmr([1.0, 2.0], direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rebase index"):
        xmr([1.0, 2.0, 3.0], rebase_at=[3])
    with pytest.raises(ValueError, match="baseline"):
        xmr([1.0, 2.0], baseline=0)


def test_rules_description_lists_the_rules_in_force():
    r = xmr([1.0, 2.0], shift_length=6, trend_length=5)
    assert [code for code, _ in r.rules] == list(RULE_ORDER)
    text = dict(r.rules)
    assert text[SHIFT].startswith("6 or more") and "mean" in text[SHIFT]
    assert text[TREND].startswith("5 or more")
    assert [code for code, _ in run_chart([1.0]).rules] == [SHIFT, TREND]


# --- Rule 1: outside the process limits -----------------------------------------------------


def test_rule_outside_point_above_upper_limit():
    # 5, 6, 5, 6, 5, 6, 20: mean = 53/7 = 7.5714; mRs 1, 1, 1, 1, 1, 14 -> mR-bar = 19/6 = 3.1667
    # upper = 7.5714 + 8.4233 = 15.9948 -> 20 is outside; band top 13.187: only 20 beyond it.
    r = xmr([5, 6, 5, 6, 5, 6, 20])
    assert r.segments[0].mean == approx(53 / 7)
    assert r.segments[0].mr_bar == approx(19 / 6)
    assert r.segments[0].upper == approx(15.994762, abs=1e-6)
    assert flags(r) == [()] * 6 + [(OUTSIDE,)]
    assert r.points[-1].signals == ((OUTSIDE, "high"),)


def test_rule_outside_point_below_lower_limit():
    # Mirror image (20 - x): 15, 14, 15, 14, 15, 14, 0: mean = 87/7 = 12.4286, mR-bar 3.1667,
    # lower = 12.4286 - 8.4233 = 4.0052 -> 0 is outside, low.
    r = xmr([15, 14, 15, 14, 15, 14, 0])
    assert r.segments[0].lower == approx(4.005238, abs=1e-6)
    assert flags(r) == [()] * 6 + [(OUTSIDE,)]
    assert r.points[-1].signals == ((OUTSIDE, "low"),)


# --- Rule 2: shift --------------------------------------------------------------------------


def test_rule_shift_seven_points_each_side_of_mean():
    # 4,5,4,5,4,5,4 then 6,7,6,7,6,7,6: mean = 76/14 = 5.4286; mRs: twelve 1s and one 2
    # -> mR-bar = 14/13 = 1.0769; band 3.5188 .. 7.3383 holds every point, limits 2.56 .. 8.29.
    # Seven below then seven above the mean: both runs are shifts.
    r = xmr([4, 5, 4, 5, 4, 5, 4, 6, 7, 6, 7, 6, 7, 6])
    assert r.segments[0].mean == approx(76 / 14)
    assert r.segments[0].mr_bar == approx(14 / 13)
    assert flags(r) == [(SHIFT,)] * 14
    assert r.points[0].signals == ((SHIFT, "low"),)
    assert r.points[-1].signals == ((SHIFT, "high"),)


def test_rule_shift_six_points_do_not_fire_by_default():
    # 4,5,4,5,4,5 then 6,7,6,7,6,7: mean = 66/12 = 5.5, all 11 mRs are 1 -> mR-bar 1,
    # band 3.7267 .. 7.2733. Six below then six above: not a shift at the default of 7.
    r = xmr([4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7])
    assert r.segments[0].mean == approx(5.5)
    assert r.segments[0].mr_bar == approx(1.0)
    assert flags(r) == [()] * 12


def test_rule_shift_configurable_length_six():
    # Same series as above with shift_length=6: both runs of six now fire.
    r = xmr([4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7], shift_length=6)
    assert flags(r) == [(SHIFT,)] * 12


def test_rule_shift_points_on_mean_break_run():
    # 9, 7.5, 9, 10, 7.5, 9, 7.5 | 11, 12.5, 11, 12.5, 11, 11.5, 11
    # mean = (59.5 + 80.5)/14 = 140/14 = 10 exactly, so index 3 (value 10) is ON the mean.
    # mRs: 1.5,1.5,1,2.5,1.5,1.5,3.5,1.5,1.5,1.5,1.5,0.5,0.5 = 20 -> mR-bar = 20/13 = 1.5385;
    # band 7.2718 .. 12.7282 holds every point. Below the mean: 3 points, the 10, then 3 more:
    # the point on the mean breaks the run and is not counted, so no shift there.
    # The seven points above the mean (indices 7-13) are a shift.
    r = xmr([9, 7.5, 9, 10, 7.5, 9, 7.5, 11, 12.5, 11, 12.5, 11, 11.5, 11])
    assert r.segments[0].mean == 10
    assert r.segments[0].mr_bar == approx(20 / 13)
    assert flags(r) == [()] * 7 + [(SHIFT,)] * 7


def test_rule_shift_float_noise_on_mean_still_breaks_run():
    # The mirror of the series above, scaled by 0.01: the exact mean is 0.1, but the float mean
    # is 0.09999999999999999, a hair below the point 0.1 at index 3. That point is still on the
    # mean, so it breaks the run above: only the seven points below (indices 7-13) are a shift.
    values = [0.11, 0.125, 0.11, 0.1, 0.125, 0.11, 0.125, 0.09, 0.075, 0.09, 0.075, 0.09, 0.085,
              0.09]
    r = xmr(values)
    assert r.segments[0].mean == approx(0.1)
    assert flags(r) == [()] * 7 + [(SHIFT,)] * 7


# --- Rule 3: trend --------------------------------------------------------------------------


def test_rule_trend_seven_rising_points():
    # 8, 14, 8, 14, then 10, 10.5, 11, 11.5, 12, 12.5, 13 (seven rising), then 8, 14, 8.
    # mean = (44 + 80.5 + 30)/14 = 154.5/14 = 11.0357; mRs 6,6,6,4,0.5×6,5,6,6 = 42
    # -> mR-bar = 42/13 = 3.2308; band 5.306 .. 16.765 holds every point; no run of 7 on one side.
    r = xmr([8, 14, 8, 14, 10, 10.5, 11, 11.5, 12, 12.5, 13, 8, 14, 8])
    assert r.segments[0].mean == approx(154.5 / 14)
    assert r.segments[0].mr_bar == approx(42 / 13)
    assert flagged(r, TREND) == list(range(4, 11))
    assert all(p.flags in ((), (TREND,)) for p in r.points)
    assert r.points[4].signals == ((TREND, "high"),)


def test_rule_trend_equal_neighbours_neither_extend_nor_break():
    # 8, 14, 8, 14, 10, 10.5, 10.5, 11, 11.5, 12, 12.5, 13, 8, 14, 8
    # mean = (44 + 91 + 30)/15 = 11; mRs 6,6,6,4,.5,0,.5,.5,.5,.5,.5,5,6,6 = 42 -> mR-bar 3.
    # 10 .. 13 is seven distinct rising values with a repeated 10.5 inside: the repeat does not
    # break the trend, and it is flagged with the rest (indices 4-11).
    r = xmr([8, 14, 8, 14, 10, 10.5, 10.5, 11, 11.5, 12, 12.5, 13, 8, 14, 8])
    assert r.segments[0].mean == approx(11)
    assert r.segments[0].mr_bar == approx(3)
    assert flagged(r, TREND) == list(range(4, 12))
    # Without the 13 there are seven points but only six distinct rising values: the repeat does
    # not extend the trend, so nothing fires. (mean = 152/14 = 10.857, mR-bar = 41/13 = 3.154)
    r = xmr([8, 14, 8, 14, 10, 10.5, 10.5, 11, 11.5, 12, 12.5, 8, 14, 8])
    assert flags(r) == [()] * 14


def test_rule_trend_falling_and_configurable_length():
    # 14, 13.5, 13, 12.5, 12, 11.5: six falling points, nothing else (mean 12.75, mR-bar 0.5).
    values = [14, 13.5, 13, 12.5, 12, 11.5]
    assert flags(xmr(values)) == [()] * 6
    r = xmr(values, trend_length=6)
    assert flags(r) == [(TREND,)] * 6
    assert r.points[-1].signals == ((TREND, "low"),)


# --- Rule 4: two out of three beyond two sigma ----------------------------------------------


def test_rule_two_of_three_same_side_fires():
    # Baseline BASE12: band top 14.5467. Then 15, 11, 15: two of three above it -> both 15s.
    r = xmr(BASE12 + [15, 11, 15], baseline=12)
    assert r.segments[0].upper_2s == approx(11 + 2.66 * 2 * 2 / 3)
    assert flags(r) == [()] * 12 + [(TWO_OF_THREE,), (), (TWO_OF_THREE,)]
    # And low: 7 < band bottom 7.4533 twice in three.
    r = xmr(BASE12 + [7, 11, 7], baseline=12)
    assert flagged(r, TWO_OF_THREE) == [12, 14]
    assert r.points[12].signals == ((TWO_OF_THREE, "low"),)


def test_rule_two_of_three_opposite_sides_do_not_fire():
    # 15 is above the band (14.5467) and 7 below it (7.4533): one each side is not a signal.
    r = xmr(BASE12 + [15, 7, 11, 12], baseline=12)
    assert flags(r) == [()] * 16


def test_rule_two_of_three_single_point_beyond_band_does_not_fire():
    r = xmr(BASE12 + [15, 11, 11], baseline=12)
    assert flags(r) == [()] * 15


def test_rule_two_of_three_point_beyond_process_limit_counts():
    # 17 is above the upper limit 16.32 (so also beyond the band); with 15 it makes two of three.
    r = xmr(BASE12 + [17, 11, 15], baseline=12)
    assert r.points[12].flags == (OUTSIDE, TWO_OF_THREE)
    assert r.points[13].flags == ()
    assert r.points[14].flags == (TWO_OF_THREE,)


# --- Baseline and rebase --------------------------------------------------------------------


def test_baseline_fixes_limits_from_first_points():
    # Limits from BASE12 only (mean 11, mR-bar 2, limits 5.68 .. 16.32), applied to 13, 30, 9.
    r = xmr(BASE12 + [13, 30, 9], baseline=12)
    seg = r.segments[0]
    assert (seg.mean, seg.mr_bar, seg.points_used) == (approx(11), approx(2), 12)
    assert (seg.upper, seg.lower) == (approx(16.32), approx(5.68))
    assert all(p.mean == approx(11) and p.upper == approx(16.32) for p in r.points)
    assert flags(r) == [()] * 13 + [(OUTSIDE,), ()]
    assert r.trial is False
    assert xmr(BASE12 + [13, 30, 9], baseline=6).trial is True


def test_rebase_second_segment_has_own_limits():
    # Segment 0 = 9, 10, 9, 10, 11, 11.5, 11, 11.5: mean = 83/8 = 10.375,
    #   mRs 1,1,1,1,.5,.5,.5 -> mR-bar = 5.5/7 = 0.7857, limits 8.285 .. 12.465.
    # Segment 1 = 21, 21.5, 21, 21.5, 19, 20, 19, 20: mean = 163/8 = 20.375,
    #   mRs .5,.5,.5,2.5,1,1,1 -> mR-bar = 7/7 = 1 (the 11.5 -> 21 jump is not a moving range),
    #   limits 17.715 .. 23.035.
    values = [9, 10, 9, 10, 11, 11.5, 11, 11.5, 21, 21.5, 21, 21.5, 19, 20, 19, 20]
    r = xmr(values, rebase_at=[8])
    s0, s1 = r.segments
    assert (s0.start, s0.end, s1.start, s1.end) == (0, 8, 8, 16)
    assert (s0.mean, s0.mr_bar) == (approx(10.375), approx(5.5 / 7))
    assert (s1.mean, s1.mr_bar) == (approx(20.375), approx(1.0))
    assert (s1.upper, s1.lower) == (approx(23.035), approx(17.715))
    assert [p.segment for p in r.points] == [0] * 8 + [1] * 8
    assert r.points[8].mean == approx(20.375)
    assert s0.trial and s1.trial and r.trial


def test_rebase_shift_straddling_rebase_does_not_fire():
    # Same series: the last four points of segment 0 are above its mean (10.375) and the first
    # four of segment 1 above its mean (20.375): eight in a row "above", but across the rebase,
    # so no shift. Without the rebase (mean 15.375) both halves are shifts.
    values = [9, 10, 9, 10, 11, 11.5, 11, 11.5, 21, 21.5, 21, 21.5, 19, 20, 19, 20]
    assert flags(xmr(values, rebase_at=[8])) == [()] * 16
    assert flagged(xmr(values), SHIFT) == list(range(16))


def test_rebase_with_baseline_uses_first_points_of_each_segment():
    # Segment 0: baseline 10,12,10,12,10,12 -> mean 11, mR-bar 2, upper 16.32: 50 is outside.
    # Segment 1: baseline 20,22,... -> mean 21, mR-bar 2, lower 15.68: 0 is outside.
    r = xmr([10, 12] * 3 + [50] + [20, 22] * 3 + [0], rebase_at=[7], baseline=6)
    assert [s.mean for s in r.segments] == [approx(11), approx(21)]
    assert r.segments[1].lower == approx(15.68)
    assert flagged(r, OUTSIDE) == [6, 13]


# --- Variation icon -------------------------------------------------------------------------

HIGH_OUTLIER = [5, 6, 5, 6, 5, 6, 20]  # last point above the upper limit (see rule 1 test)


def test_variation_high_point_by_direction():
    assert xmr(HIGH_OUTLIER, direction="up").variation is Variation.SPECIAL_CAUSE_IMPROVING
    assert xmr(HIGH_OUTLIER, direction="down").variation is Variation.SPECIAL_CAUSE_CONCERNING
    assert xmr(HIGH_OUTLIER, direction="neutral").variation is Variation.SPECIAL_CAUSE_NEUTRAL


def test_variation_low_point_by_direction():
    low = [20 - x for x in HIGH_OUTLIER]
    assert xmr(low, direction="up").variation is Variation.SPECIAL_CAUSE_CONCERNING
    assert xmr(low, direction="down").variation is Variation.SPECIAL_CAUSE_IMPROVING


def test_variation_common_cause_for_every_direction():
    for direction in ("up", "down", "neutral"):
        assert xmr(BASE12, direction=direction).variation is Variation.COMMON_CAUSE


def test_variation_falling_trend_improves_when_down_is_better():
    # 24 - (8, 14, 8, 14, 10, 10.5, ..., 13): ends with seven falling points (14 .. 11),
    # mean = 139.5/11 = 12.68, mR-bar = 25/10 = 2.5; nothing else fires.
    values = [24 - x for x in [8, 14, 8, 14, 10, 10.5, 11, 11.5, 12, 12.5, 13]]
    r = xmr(values, direction="down")
    assert flagged(r, TREND) == list(range(4, 11))
    assert r.variation is Variation.SPECIAL_CAUSE_IMPROVING
    assert xmr(values, direction="up").variation is Variation.SPECIAL_CAUSE_CONCERNING


def test_variation_conflicting_signals_reported_as_concerning():
    # Ten 30s then 10 .. 16 rising: mean = 391/17 = 23, so the last point is low (shift below,
    # outside low) but part of a rising trend. Mixed signals are reported as concerning.
    r = xmr([30] * 10 + [10, 11, 12, 13, 14, 15, 16], direction="up")
    assert (TREND, "high") in r.points[-1].signals
    assert (SHIFT, "low") in r.points[-1].signals
    assert r.variation is Variation.SPECIAL_CAUSE_CONCERNING


def test_variation_and_assurance_labels():
    assert Variation.COMMON_CAUSE.label == "Common cause variation"
    assert Variation.SPECIAL_CAUSE_IMPROVING.label == "Special cause variation – improving"
    assert Variation.SPECIAL_CAUSE_CONCERNING.label == "Special cause variation – concerning"
    assert all(v.label for v in Variation) and all(a.label for a in Assurance)


# --- Assurance ------------------------------------------------------------------------------


def test_assurance_consistently_passes():
    # BASE12 limits 5.68 .. 16.32: higher is better and even the lower limit beats 5.
    assert xmr(BASE12, direction="up", target=5).assurance is Assurance.CONSISTENTLY_PASSES
    assert xmr(BASE12, direction="down", target=20).assurance is Assurance.CONSISTENTLY_PASSES


def test_assurance_consistently_fails():
    assert xmr(BASE12, direction="up", target=20).assurance is Assurance.CONSISTENTLY_FAILS
    assert xmr(BASE12, direction="down", target=5).assurance is Assurance.CONSISTENTLY_FAILS


def test_assurance_hit_and_miss():
    assert xmr(BASE12, direction="up", target=11).assurance is Assurance.HIT_AND_MISS
    assert xmr(BASE12, direction="down", target=16).assurance is Assurance.HIT_AND_MISS


def test_assurance_none_without_target_or_direction():
    assert xmr(BASE12, direction="up").assurance is Assurance.NONE
    assert xmr(BASE12, direction="neutral", target=11).assurance is Assurance.NONE


def test_assurance_uses_last_segment_limits():
    # Segment 0 (30/50: mean 40, mR-bar 20, limits -13.2 .. 93.2) would be hit and miss for a
    # target of 20; the last segment (BASE12: 5.68 .. 16.32) never reaches it.
    r = xmr([30, 50] * 6 + BASE12, direction="up", target=20, rebase_at=[12])
    assert r.segments[0].upper == approx(93.2)
    assert r.assurance is Assurance.CONSISTENTLY_FAILS


# --- Run chart ------------------------------------------------------------------------------


def test_run_chart_shift_six_points_around_median():
    # 1,2,1,2,1,2 then 5 then 7,6,7,6,7,6: sorted middle (7th of 13) = 5 = median.
    # Six below and six above: NHS run-chart shift (default 6) fires on both; the 5 is neither.
    # (1, 2, 5, 7 is only four rising values, so no trend.)
    r = run_chart([1, 2, 1, 2, 1, 2, 5, 7, 6, 7, 6, 7, 6])
    assert r.median == 5
    assert flags(r) == [(SHIFT,)] * 6 + [()] + [(SHIFT,)] * 6


def test_run_chart_points_on_median_neither_count_nor_break():
    # 1,2,1,5,2,1,2 | 8,9,8,9,8,9: median (7th of 13 sorted) = 5, the point at index 3.
    # Below: 1,2,1, (5 ignored), 2,1,2 = six points: a shift, and the 5 does not break it.
    r = run_chart([1, 2, 1, 5, 2, 1, 2, 8, 9, 8, 9, 8, 9])
    assert r.median == 5
    assert flagged(r, SHIFT) == [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    # 1,2,1,5,2,1 | 8,9,8,9,8: median (6th of 11) = 5; five below plus the median point is not
    # six: the point on the median does not count.
    r = run_chart([1, 2, 1, 5, 2, 1, 8, 9, 8, 9, 8])
    assert r.median == 5
    assert flags(r) == [()] * 11


def test_run_chart_trend_five_points_with_equal_neighbour():
    # 5, 1, 2, 3, 3, 4, 5, 2: median = (3 + 3)/2 = 3. 1, 2, 3, 3, 4, 5 is five distinct rising
    # values (the repeated 3 skipped but flagged): a trend at the NHS run-chart default of 5.
    r = run_chart([5, 1, 2, 3, 3, 4, 5, 2])
    assert r.median == 3
    assert flagged(r, TREND) == [1, 2, 3, 4, 5, 6]
    assert flagged(r, SHIFT) == []
    # 5, 1, 2, 3, 3, 4, 2: only four distinct rising values -> no trend.
    assert flags(run_chart([5, 1, 2, 3, 3, 4, 2])) == [()] * 7


def test_run_chart_variation_by_direction():
    values = [1, 2, 1, 2, 1, 2, 5, 7, 6, 7, 6, 7, 6]  # ends in a shift above the median
    assert run_chart(values, direction="up").variation is Variation.SPECIAL_CAUSE_IMPROVING
    assert run_chart(values, direction="down").variation is Variation.SPECIAL_CAUSE_CONCERNING
    assert run_chart(values).variation is Variation.SPECIAL_CAUSE_NEUTRAL
    assert run_chart([4.0]).variation is Variation.COMMON_CAUSE


# --- Summary sentence -----------------------------------------------------------------------


def test_summary_common_cause_hit_and_miss():
    # 40,36,41,37,42,38,40,36,41,38,40,42: mean = 471/12 = 39.25; mRs 4,5,4,5,4,2,4,5,3,2,2 = 40
    # -> mR-bar 3.636, limits 29.58 .. 48.92, so a target of 45 is hit and miss; no signals.
    r = xmr([40, 36, 41, 37, 42, 38, 40, 36, 41, 38, 40, 42], direction="up", target=45)
    assert summary_sentence(r) == (
        "The latest value is 42 (previous 40 and 38). Variation is common cause: no sign of "
        "change. The target of 45 will be hit and miss with the process as it is."
    )


def test_summary_special_cause_improving_with_unit_and_trial_note():
    r = xmr(HIGH_OUTLIER, direction="up", target=3)  # lower limit -0.85 < 3 < upper 15.99
    assert summary_sentence(r, unit="%") == (
        "The latest value is 20% (previous 6% and 5%). Variation is special cause, indicating "
        "improvement: the latest value is above the upper process limit. The target of 3% will "
        "be hit and miss with the process as it is. The limits are provisional: they are based "
        "on fewer than 12 values."
    )


def test_summary_consistent_assurance_and_concern():
    r = xmr(BASE12 + [17, 11, 15], baseline=12, direction="down", target=20)
    assert summary_sentence(r, unit="days") == (
        "The latest value is 15 days (previous 11 days and 17 days). Variation is special cause, "
        "indicating concern: the latest value is one of two out of three values close to the "
        "upper process limit. The target of 20 days will consistently be met with the process "
        "as it is."
    )
    r = xmr(BASE12, direction="up", target=20)
    assert summary_sentence(r).endswith(
        "The target of 20 will consistently be missed unless the process changes.")


def test_summary_neutral_target_single_value_and_run_chart():
    r = xmr(BASE12, target=11)
    assert "no assurance against the target of 11" in summary_sentence(r)
    assert summary_sentence(xmr([1234.5])) == (
        "The latest value is 1,234.5. Variation is common cause: no sign of change. There are "
        "too few values to calculate process limits."
    )
    r = run_chart([1, 2, 1, 2, 1, 2, 5, 7, 6, 7, 6, 7, 0.25], direction="down")
    assert summary_sentence(r) == (
        "The latest value is 0.25 (previous 7 and 6). Variation is common cause: no sign of "
        "change."
    )
    r = run_chart([1, 2, 1, 2, 1, 2, 5, 7, 6, 7, 6, 7, 6], direction="down")
    assert summary_sentence(r).endswith(
        "Variation is special cause, indicating concern: the latest value is part of a run of 6 "
        "or more values above the median.")


# --- Properties -----------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
directions = st.sampled_from(["up", "down", "neutral"])


@settings(max_examples=200, deadline=None)
@given(values=st.lists(finite, min_size=1, max_size=500), direction=directions,
       target=st.none() | finite)
def test_property_never_fails_on_finite_series(values, direction, target):
    r = xmr(values, direction=direction, target=target)
    assert len(r.points) == len(values)
    for p in r.points:
        assert set(p.flags) <= set(RULE_ORDER)
        if p.upper is not None:
            assert p.lower <= p.lower_2s <= p.mean <= p.upper_2s <= p.upper
    assert isinstance(r.variation, Variation) and isinstance(r.assurance, Assurance)
    assert summary_sentence(r, unit="%").startswith("The latest value is")
    assert len(run_chart(values, direction=direction).points) == len(values)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), values=st.lists(finite, min_size=1, max_size=500))
def test_property_never_fails_with_baseline_and_rebase(data, values):
    rebase = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=5))
    baseline = data.draw(st.none() | st.integers(1, 30))
    r = xmr(values, baseline=baseline, rebase_at=rebase, direction="up", target=0.0)
    assert len(r.points) == len(values)
    assert r.segments[0].start == 0 and r.segments[-1].end == len(values)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1,
                       max_size=50))
def test_property_never_fails_on_extreme_magnitudes(values):
    # Up to ±1.8e308: sums and moving ranges may overflow, but nothing may raise.
    assert len(xmr(values, direction="up", target=1.0).points) == len(values)
    assert len(run_chart(values).points) == len(values)


@pytest.mark.parametrize("seed", range(5))
def test_property_never_fails_on_500_point_series(seed):
    # Hypothesis favours short lists, so check full-length series explicitly too.
    rng = random.Random(seed)
    values = [rng.uniform(-1e6, 1e6) for _ in range(500)]
    r = xmr(values, direction="up", target=0.0, rebase_at=[100, 250], baseline=20)
    assert len(r.points) == 500 and len(r.segments) == 3
    assert len(run_chart(values).points) == 500


# Integers keep the series exact, so adding a constant cannot blur two distinct values into one
# (with arbitrary floats, x + 1e6 can round two different small values to the same number).
ints = st.lists(st.integers(-1000, 1000), min_size=1, max_size=500)


def _shifted(limit: float | None, c: int) -> object:
    return None if limit is None else approx(limit + c, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(values=ints, c=st.integers(-1000, 1000), direction=directions)
def test_property_adding_constant_moves_limits_and_keeps_flags(values, c, direction):
    before = xmr(values, direction=direction)
    after = xmr([v + c for v in values], direction=direction)
    for p, q in zip(before.points, after.points, strict=True):
        assert q.mean == approx(p.mean + c, abs=1e-6)
        for name in ("upper", "lower", "upper_2s", "lower_2s"):
            assert getattr(q, name) == _shifted(getattr(p, name), c)
        assert q.flags == p.flags and q.signals == p.signals
    assert after.variation is before.variation
    rb, ra = run_chart(values), run_chart([v + c for v in values])
    assert ra.median == approx(rb.median + c) and flags(ra) == flags(rb)
