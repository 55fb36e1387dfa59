"""Chart builders: the figure data, accessible colours, and the numbers in the tables."""

from imroc import charts
from imroc.models import Cycle, Site
from imroc.services.dashboards.aggregates import SiteDashboard
from imroc.services.dashboards.charts import site_charts

LABELS = [f"Challenge {n}" for n in range(1, 11)]


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_every_series_colour_has_3_to_1_contrast_on_white():
    for colour in charts.PALETTE:
        assert _contrast(colour, "#ffffff") >= 3.0, colour


def test_series_differ_by_more_than_colour():
    fig = charts.radar(LABELS, [("a", [1] * 10), ("b", [2] * 10), ("c", [3] * 10)], title="t")
    symbols = {t["marker"]["symbol"] for t in fig["data"]}
    dashes = {t["line"]["dash"] for t in fig["data"]}
    assert len(symbols) == 3 and len(dashes) == 3


def test_radar_closes_the_loop_and_keeps_values():
    fig = charts.radar(LABELS, [("Cycle 2", list(range(10)))], title="Levels")
    trace = fig["data"][0]
    assert trace["r"] == list(range(10)) + [0]
    assert trace["theta"][0] == trace["theta"][-1] == "Challenge 1"
    assert fig["layout"]["polar"]["radialaxis"]["range"] == [0, 3]


def test_heatmap_prints_each_cell_and_keeps_gaps():
    fig = charts.heatmap(["a", "b"], ["x", "y"], [[1, None], [3, 0]], title="t")
    trace = fig["data"][0]
    assert trace["z"] == [[1, None], [3, 0]] and trace["texttemplate"] == "%{z}"
    assert (trace["zmin"], trace["zmax"]) == (0, 3)


def test_stacked_bars_use_patterns():
    fig = charts.bars(["s1", "s2"], [("Done", [1, 2]), ("Blocked", [0, 1])], title="t",
                      y_title="n", stacked=True)
    assert fig["layout"]["barmode"] == "stack"
    assert [t["marker"]["pattern"]["shape"] for t in fig["data"]] == ["", "/"]


def test_level_colours_keep_the_printed_number_readable():
    # Plotly prints a cell's number in #444 on a light cell and white on a dark one.
    for colour in charts.LEVEL_COLOURS:
        text = "#444444" if _luminance(colour) > 0.18 else "#ffffff"
        assert _contrast(colour, text) >= 4.5, colour


def test_heatmap_steps_between_levels_and_has_no_colour_bar():
    fig = charts.heatmap(["a"], ["x"], [[1.67]], title="Means")
    trace = fig["data"][0]
    assert trace["showscale"] is False  # its style attribute breaks the strict CSP
    scale = trace["colorscale"]
    assert [c for _, c in scale][::2] == charts.LEVEL_COLOURS  # one flat band per level
    assert scale[0][0] == 0 and scale[-1][0] == 1


def test_long_labels_wrap_in_the_ticks_only():
    assert charts.wrap("Co-produced education and training", 12) == \
        "Co-produced\neducation\nand training"  # Plotly's <br> once the figure is made safe
    assert charts.wrap("Site A", 12) == "Site A"
    names = ["Hollinsmere Community Mental Health", "Site B"]
    fig = charts.heatmap(names, LABELS, [[1] * 10, [2] * 10], title="t")
    assert fig["data"][0]["y"] == names  # hover text and tests see the whole name
    assert fig["layout"]["yaxis"]["ticktext"][0] == "Hollinsmere Community<br>Mental Health"
    assert fig["layout"]["meta"]["title"] == "t" and "title" not in fig["layout"]


def test_bars_are_filled_and_long_names_lie_along_the_page():
    fig = charts.bars(LABELS, [("Sites", [1] * 10)], title="t", y_title="n")
    trace = fig["data"][0]
    assert trace["orientation"] == "h" and trace["y"] == LABELS
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"  # first category on top
    # "overlay" draws the pattern over the colour; "replace" would leave the bar empty.
    assert trace["marker"]["pattern"]["fillmode"] == "overlay"
    short = charts.bars(["Done", "Blocked"], [("n", [1, 2])], title="t", y_title="n")
    assert "orientation" not in short["data"][0]
    assert short["layout"]["yaxis"]["dtick"] == 1  # counts: whole numbers only


def _dashboard(levels_by_cycle: dict[int, dict[int, int]]) -> SiteDashboard:
    cycles = [Cycle(id=cid, site_id=1, number=i + 1, framework_id=1, stage="closed",
                    started_on="2024-01-01") for i, cid in enumerate(levels_by_cycle)]
    return SiteDashboard(site=Site(id=1, name="S", kind="pilot"), cycles=cycles,
                         levels=levels_by_cycle, current=cycles[-1] if cycles else None,
                         priorities=[], actions=[],
                         facilitator={1: 2.0}, voices={"staff": 2, "lived_experience": 1},
                         set_median={n: 1.5 for n in range(1, 11)},
                         programme_median={n: 1 for n in range(1, 11)})


def test_site_charts_radar_table_and_figure_agree():
    d = _dashboard({10: {n: 1 for n in range(1, 11)}, 11: {n: 2 for n in range(1, 11)},
                    12: {n: n % 4 for n in range(1, 11)}})
    by_name = {c.name: c for c in site_charts(d, LABELS)}
    radar = by_name["radar"]
    names = [t["name"] for t in radar.figure["data"]]
    assert names == ["Cycle 3 (latest)", "Cycle 2 (previous)", "Cycle 1 (first)"]
    assert radar.figure["data"][0]["r"][:10] == [n % 4 for n in range(1, 11)]
    assert radar.table.rows[0] == ["Challenge 1", 1, 2, 1]
    heat = by_name["heatmap"]
    assert heat.figure["data"][0]["x"] == ["Cycle 1", "Cycle 2", "Cycle 3"]
    assert heat.table.rows[3] == ["Challenge 4", 1, 2, 0]
    bench = by_name["benchmark"]
    assert [t["name"] for t in bench.figure["data"]] == [
        "This site", "Learning set median", "Programme median"]
    assert bench.table.rows[1] == ["Challenge 2", 2, 1.5, 1]
    gap = by_name["self-vs-facilitator"].table.rows[0]
    assert gap == ["Challenge 1", 1, 2, 1]
    voices = by_name["voices"].table.rows
    assert voices == [["Staff", 2], ["Lived experience", 1], ["Carer", 0],
                      ["Partner organisation", 0]]


def test_no_level_charts_before_any_sign_off():
    d = _dashboard({})
    d.cycles = []
    assert {c.name for c in site_charts(d, LABELS)} == {"voices"}


# --- text handed to Plotly stays text -----------------------------------------------------
# Plotly reads a little HTML in labels (links, bold, line breaks): a site named like this
# must show as typed, never as a live link, in every figure.
MARKUP = '<a href="//e.co">L</a> & <b>bold</b>'


def _texts(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "meta":  # the page's own heading for the chart, never drawn by Plotly
                yield from _texts(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _texts(v, key)
    elif isinstance(node, str):
        yield key, node


def assert_inert(figure) -> None:
    """No tag reaches Plotly but its own line breaks and the hover box's <extra>."""
    found = False
    for key, value in _texts(figure):
        plain = value.replace("<br>", "").replace("<extra>", "").replace("</extra>", "")
        assert "<" not in plain and ">" not in plain, (key, value)
        found = found or "&lt;" in value
    assert found, "the label was dropped instead of escaped"


def test_radar_labels_and_names_are_escaped():
    assert_inert(charts.radar([MARKUP, "Two"], [(MARKUP, [1, 2])], title=MARKUP))


def test_heatmap_rows_columns_and_title_are_escaped():
    fig = charts.heatmap([MARKUP, "Site B"], [MARKUP], [[1], [2]], title=MARKUP)
    assert_inert(fig)
    assert fig["data"][0]["y"][0] == "&lt;a href=\"//e.co\"&gt;L&lt;/a&gt; &amp; " \
                                     "&lt;b&gt;bold&lt;/b&gt;"


def test_bar_categories_series_and_axis_titles_are_escaped():
    assert_inert(charts.bars([MARKUP, "B"], [(MARKUP, [1, 2])], title=MARKUP, y_title=MARKUP))
    assert_inert(charts.bars(["A", MARKUP], [(MARKUP, [1, 2])], title="t", y_title="y",
                             stacked=True, horizontal=True))


def test_line_series_and_axis_titles_are_escaped():
    assert_inert(charts.lines([MARKUP, "Q2"], [(MARKUP, [1, 2])], title=MARKUP, y_title=MARKUP))


def test_spc_labels_notes_and_unit_are_escaped():
    from imroc.spc.chart import Event, figure
    from imroc.spc.rules import run_chart, xmr

    values = [5, 6, 5, 7, 6, 5, 9, 6, 5, 6, 7, 6, 5]
    labels = [f"{MARKUP} {i}" for i in range(len(values))]
    events = [Event(2, MARKUP), Event(5, "Change adopted: " + MARKUP)]
    assert_inert(figure(labels, xmr(values, target=6), events, title=MARKUP, unit=MARKUP))
    assert_inert(figure(labels, run_chart(values), events, title=MARKUP, unit=MARKUP))


def test_a_long_label_still_wraps_after_escaping():
    fig = charts.heatmap(["Hollinsmere Community Mental Health & <Crisis> Team"], ["C1"],
                         [[1]], title="t")
    tick = fig["layout"]["yaxis"]["ticktext"][0]
    assert "<br>" in tick and "&amp; &lt;Crisis&gt;" in tick


SCALE = ["Not yet started", "Engagement", "Development", "Transformation"]
NAMED = ["0 Not yet started", "1 Engagement", "2 Development", "3 Transformation"]


def test_the_level_colours_are_the_same_in_the_charts_and_the_page_key():
    import re
    from pathlib import Path

    css = (Path(charts.__file__).parent.parent / "static/css/app.css").read_text()
    swatches = dict(re.findall(r"\.app-level-key__swatch--(\d) \{ background: (#[0-9a-f]{6});",
                               css))
    assert [swatches[str(lv)] for lv in range(4)] == charts.LEVEL_COLOURS


def test_sites_per_level_bars_use_the_one_level_scale_light_to_dark():
    from imroc.services.dashboards.aggregates import ProgrammeComparison
    from imroc.services.dashboards.charts import programme_charts
    from imroc.services.dashboards.progress import Progress

    sites = [Site(id=i, name=f"S{i}", kind="pilot") for i in (1, 2)]
    d = ProgrammeComparison(sites=sites, latest={1: {n: 0 for n in range(1, 11)},
                                                 2: {n: 3 for n in range(1, 11)}},
                            set_names={}, progress=Progress(quarters=[]))
    by_name = {c.name: c for c in programme_charts(d, LABELS, SCALE)}
    bars = by_name["distribution"].figure["data"]
    assert [t["marker"]["color"] for t in bars] == charts.LEVEL_COLOURS  # 0 lightest
    assert [t["name"] for t in bars] == NAMED
    assert [t["insidetextfont"]["color"] for t in bars] == charts.LEVEL_TEXT
    heat = by_name["sites"].figure["data"][0]
    assert {c for _, c in heat["colorscale"]} == set(charts.LEVEL_COLOURS)
    assert by_name["sites"].key == "levels"


def test_level_axes_count_whole_levels_and_name_them():
    d = _dashboard({10: {n: 1 for n in range(1, 11)}})
    by_name = {c.name: c for c in site_charts(d, LABELS, SCALE)}
    for name in ("benchmark", "self-vs-facilitator"):
        layout = by_name[name].figure["layout"]
        axis = layout["xaxis"] if by_name[name].figure["data"][0].get("orientation") == "h" \
            else layout["yaxis"]
        assert axis["tickvals"] == [0, 1, 2, 3] and axis["ticktext"] == NAMED, name
        assert axis["range"] == [0, 3] and "dtick" not in axis
    heat = by_name["heatmap"]
    assert heat.key == "levels" and heat.scale == tuple(SCALE)


def test_the_radar_numbers_its_rings_clear_of_the_points_and_names_the_levels():
    fig = charts.radar(LABELS, [("a", [1] * 10)], title="t", level_names=SCALE)
    axis = fig["layout"]["polar"]["radialaxis"]
    assert axis["tickvals"] == [1, 2, 3] and axis["ticktext"] == ["1", "2", "3"]
    assert axis["range"] == [0, 3] and axis["layer"] == "above traces"
    # Just clockwise of the first spoke (up), numbers on the side away from its points:
    # the next spoke is 36 degrees on, so no point lies on or beside the numbers.
    assert 85 <= axis["angle"] < 90 and axis["side"] == "clockwise"
    assert fig["layout"]["annotations"][0]["text"] == (
        "Levels: 0 Not yet started (the centre), 1 Engagement, 2 Development, 3 Transformation")
