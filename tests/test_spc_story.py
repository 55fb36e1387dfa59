"""A chart whose limits were recalculated tells its story: the periods either side compared in
numbers and in words, and the Making Data Count icons drawn as our own SVG."""

import pytest

from imroc.spc.compare import MIN_POINTS_TO_COMPARE, compare_periods
from imroc.spc.rules import Variation, xmr
from imroc.spc.summary import summary_sentence

approx = pytest.approx

# Twelve points, 10 and 12 alternating: mean 11, mR-bar 2, limits 5.68 .. 16.32.
BASE12 = [10, 12] * 6
# Hollinsmere-like seclusion hours: about 75 a month, then about 50 once the practice began.
SECLUSION = [74, 78, 71, 77, 73, 76, 75, 72, 79, 74, 76, 73,
             52, 49, 51, 48, 53, 50, 47, 52, 50, 49]
MONTHS = [f"{m} {y}" for y in (2023, 2024) for m in
          ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")]


def test_no_comparison_without_a_recalculation():
    assert compare_periods(xmr(BASE12)) is None


def test_fall_after_recalculation_is_an_improvement_when_lower_is_better():
    r = xmr(BASE12 + [4, 5, 3, 4, 5, 3, 4, 5], direction="down", rebase_at=[12])
    c = compare_periods(r)
    assert (c.start, c.before_count, c.after_count, c.enough) == (12, 12, 8, True)
    assert c.before_mean == approx(11) and c.after_mean == approx(33 / 8)
    assert c.change == "fell"
    assert c.variation is Variation.SPECIAL_CAUSE_IMPROVING
    assert c.side == "low" and c.longest_run == 8 and c.outside == 8
    # The same fall is a concern where higher is better.
    assert compare_periods(xmr(BASE12 + [4, 5, 3, 4, 5, 3, 4, 5], direction="up",
                               rebase_at=[12])).variation is Variation.SPECIAL_CAUSE_CONCERNING


def test_rise_within_the_earlier_limits_shows_as_a_run():
    # 13 and 14 sit above the old mean of 11 but inside its limits (and its two-sigma band).
    r = xmr(BASE12 + [13, 14] * 4, direction="up", rebase_at=[12])
    c = compare_periods(r)
    assert c.change == "rose" and c.after_mean == approx(13.5)
    assert c.variation is Variation.SPECIAL_CAUSE_IMPROVING
    assert (c.side, c.longest_run, c.outside) == ("high", 8, 0)


def test_no_change_is_common_cause_against_the_earlier_limits():
    r = xmr(BASE12 + [10, 12] * 4, direction="down", rebase_at=[12])
    c = compare_periods(r)
    assert c.change == "unchanged" and c.variation is Variation.COMMON_CAUSE
    assert c.side is None and c.longest_run == 0
    assert summary_sentence(r, labels=MONTHS[:20]).startswith(
        "After limits were recalculated from Jan 2024 the mean stayed at 11; against the "
        "earlier limits, the new values show no special cause.")


def test_too_few_values_after_the_recalculation_to_compare():
    r = xmr(BASE12 + [4, 3], direction="down", rebase_at=[12])
    c = compare_periods(r)
    assert c.after_count == 2 < MIN_POINTS_TO_COMPARE and not c.enough
    assert c.variation is Variation.COMMON_CAUSE
    assert summary_sentence(r, labels=MONTHS[:14]).startswith(
        "After limits were recalculated from Jan 2024 there are only 2 values so far: too few "
        "to compare with the period before.")
    one = xmr(BASE12 + [4], direction="down", rebase_at=[12])
    assert "there is only 1 value so far" in summary_sentence(one)


def test_short_period_without_signal_says_a_run_needs_more_values():
    r = xmr(BASE12 + [10, 12, 11], direction="down", rebase_at=[12])
    assert ("the new values show no special cause yet (a run needs 7 values; there are 3)"
            in summary_sentence(r))


def test_summary_tells_the_story_of_the_seclusion_hours():
    r = xmr(SECLUSION, direction="down", rebase_at=[12])
    # Within the new limits the latest value is unremarkable...
    assert r.variation is Variation.COMMON_CAUSE
    # ...but the sentence says what happened when the practice started: the old mean is
    # 898 / 12 = 74.83, the new 501 / 10 = 50.1, every new value below the old lower limit.
    assert summary_sentence(r, unit="hours", labels=MONTHS[:22]) == (
        "After limits were recalculated from Jan 2024 the mean fell from 74.83 hours to "
        "50.1 hours; against the earlier limits, the new values show a special cause of "
        "improvement (a run of 10 below the earlier mean and 10 values below the earlier "
        "lower limit). The latest value is 49 hours (previous 50 hours and 52 hours). "
        "Against the new limits, variation is common cause: no further sign of change. "
        "The limits are provisional: they are based on fewer than 12 values."
    )


def test_period_without_labels_is_named_by_its_position():
    r = xmr(SECLUSION, direction="down", rebase_at=[12])
    assert summary_sentence(r).startswith("After limits were recalculated from value 13 ")


def test_neutral_measure_names_no_improvement_or_concern():
    r = xmr(BASE12 + [20, 21, 22], rebase_at=[12])
    text = summary_sentence(r)
    assert ("the mean rose from 11 to 21; against the earlier limits, the new values show a "
            "special cause (a run of 3 above") not in text  # no run: three is short of seven
    assert ("the new values show a special cause (3 values above the earlier upper limit)"
            in text)


def test_chart_names_each_period_of_limits():
    from imroc.spc.chart import figure, period_names

    r = xmr(SECLUSION, direction="down", rebase_at=[12])
    labels = MONTHS[:22]
    assert period_names(labels, r) == ["Before Jan 2024", "From Jan 2024"]
    notes = figure(labels, r, [], title="Seclusion hours", unit="hours")["layout"]["annotations"]
    placed = {(n["text"], n["x"]) for n in notes}
    assert {("Before Jan 2024", "Jan 2023"), ("From Jan 2024", "Jan 2024")} <= placed
    assert period_names(labels[:12], xmr(BASE12)) == []
    assert not figure(labels[:12], xmr(BASE12), [], title="t")["layout"]["annotations"]


# --- Icons ----------------------------------------------------------------------------------

def _letters(svg: str) -> list[str]:
    import re

    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_variation_icons_carry_the_making_data_count_letters_and_colours():
    from imroc.spc.icons import BLUE, GREY, ORANGE, PURPLE, variation_svg

    common = str(variation_svg(Variation.COMMON_CAUSE))
    assert _letters(common) == [] and f'stroke="{GREY}"' in common
    assert 'role="img"' in common and 'aria-label="Common cause variation"' in common
    assert "<title>Common cause variation</title>" in common
    for variation, side, colour, letter, words in (
            (Variation.SPECIAL_CAUSE_IMPROVING, "low", BLUE, "L",
             "Special cause variation – improving (lower values)"),
            (Variation.SPECIAL_CAUSE_IMPROVING, "high", BLUE, "H",
             "Special cause variation – improving (higher values)"),
            (Variation.SPECIAL_CAUSE_CONCERNING, "high", ORANGE, "H",
             "Special cause variation – concerning (higher values)"),
            (Variation.SPECIAL_CAUSE_NEUTRAL, "low", PURPLE, "L",
             "Special cause variation – no preferred direction (lower values)")):
        svg = str(variation_svg(variation, side))
        assert _letters(svg) == [letter]
        assert f'stroke="{colour}"' in svg and f'fill="{colour}"' in svg
        assert f'aria-label="{words}"' in svg and f"<title>{words}</title>" in svg
        assert "~" not in svg and "?" not in svg


def test_assurance_icons_are_p_f_and_question_mark():
    from imroc.spc.icons import BLUE, GREY, ORANGE, assurance_svg
    from imroc.spc.rules import Assurance

    for assurance, colour, letter in ((Assurance.CONSISTENTLY_PASSES, BLUE, "P"),
                                      (Assurance.CONSISTENTLY_FAILS, ORANGE, "F"),
                                      (Assurance.HIT_AND_MISS, GREY, "?")):
        svg = str(assurance_svg(assurance))
        assert _letters(svg) == [letter] and f'fill="{colour}"' in svg
        assert f'aria-label="{assurance.label}"' in svg and 'role="img"' in svg


def test_icon_side_follows_the_latest_signals_and_the_direction():
    from imroc.spc.icons import side

    low = xmr(BASE12 + [2], baseline=12, direction="down")  # below the lower limit: better
    assert side(low.points[-1], "down") == "low"
    assert low.points[-1].variation is Variation.SPECIAL_CAUSE_IMPROVING
    concern = xmr(BASE12 + [2], baseline=12, direction="up")
    assert side(concern.points[-1], "up") == "low"
    high = xmr(BASE12 + [20], baseline=12)
    assert side(high.points[-1], "neutral") == "high"
    assert side(xmr(BASE12).points[-1], "up") is None
