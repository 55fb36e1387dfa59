"""Progress over time by calendar quarter: the level each site had at the end of a quarter,
carried forward, with n; means on a scale of their own; the same on every view."""

import csv
import io
from datetime import UTC, date, datetime

from imroc import charts
from imroc.charts_progress import MEAN_SCALE, progress_grid
from imroc.models import (
    ConsensusScore,
    Cycle,
    LearningSet,
    LearningSetFacilitator,
    Meeting,
    Site,
)
from imroc.services import frameworks
from imroc.services.dashboards import aggregates
from imroc.services.dashboards.charts import programme_charts, set_charts
from imroc.services.dashboards.progress import Cell, by_quarter
from imroc.web.page_cache import BODIES
from tests.factories import World, make_learning_set, sign_in
from tests.test_charts import assert_inert

MARKUP = '<a href="//e.co">L</a>'


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _history(session, ls: LearningSet, name: str, signed: list[tuple[datetime | None, int]],
             archived: bool = False) -> Site:
    """A site of the set with one cycle per (signed off at, level on every challenge)."""
    fw = frameworks.current(session)
    site = Site(name=name, kind="pilot", learning_set_id=ls.id, region="North",
                archived_at=_at(2025, 1, 1) if archived else None)
    session.add(site)
    session.commit()
    for number, (when, level) in enumerate(signed, start=1):
        cycle = Cycle(site_id=site.id, number=number, framework_id=fw.id,
                      stage="closed" if when else "assess", started_on=date(2023, 12, number),
                      signed_off_at=when, learning_set_id=site.learning_set_id)
        session.add(cycle)
        session.commit()
        session.add_all([ConsensusScore(cycle_id=cycle.id, challenge=n, level=level)
                         for n in range(1, 11)])
    session.commit()
    return site


def uneven_set(session, name: str = "Uneven Set") -> LearningSet:
    """Three sites that reached three, two and one cycles, signed off on different days."""
    ls = make_learning_set(session, name=name)
    _history(session, ls, "Alder", [(_at(2024, 1, 15, 10), 1), (_at(2024, 7, 10, 10), 2),
                                     (_at(2025, 1, 5, 10), 3)])
    # 23:30 UTC on 31 March is 00:30 on 1 April in England: the second quarter.
    _history(session, ls, "Birch", [(_at(2024, 2, 20, 10), 0), (_at(2024, 3, 31, 23, 30), 1),
                                     (None, 3)])  # the open cycle's levels count for nothing
    _history(session, ls, "Cedar", [(_at(2024, 8, 30, 10), 2)])
    _history(session, ls, "Gone", [(_at(2024, 1, 2, 10), 3)], archived=True)
    session.add(Meeting(learning_set_id=ls.id, held_on=date(2024, 11, 12), title="Autumn"))
    session.commit()
    return ls


def test_each_quarter_carries_each_sites_level_forward_with_its_n(session):
    ls = uneven_set(session)
    board = aggregates.learning_set_dashboard(session, ls=ls)
    p = board.progress
    assert p.quarters == [date(2024, 1, 1), date(2024, 4, 1), date(2024, 7, 1),
                          date(2024, 10, 1), date(2025, 1, 1)]
    # Alder 1, 1, 2, 2, 3; Birch 0, 1, 1, 1, 1 (carried); Cedar -, -, 2, 2, 2 (carried).
    assert p.cells(ls.id, 1) == [Cell(0.5, 2), Cell(1.0, 2), Cell(1.67, 3), Cell(1.67, 3),
                                 Cell(2.0, 3)]
    assert p.cells(ls.id, 10) == p.cells(ls.id, 1)
    assert p.overall_of(ls.id)[0] == Cell(0.5, 2)  # sites, not site-challenge pairs


def test_quarters_reach_the_sets_meetings_and_are_empty_before_any_sign_off():
    rows = [(7, 1, 1, _at(2024, 5, 1, 9), 1, 2)]
    p = by_quarter(rows, [date(2023, 11, 2), date(2024, 9, 30)])
    assert p.quarters == [date(2023, 10, 1), date(2024, 1, 1), date(2024, 4, 1),
                          date(2024, 7, 1)]
    assert p.cells(7, 1) == [Cell(None, 0), Cell(None, 0), Cell(2.0, 1), Cell(2.0, 1)]
    assert by_quarter([]).quarters == []


def test_the_progress_chart_prints_n_and_never_colours_a_mean_as_a_level(session):
    ls = uneven_set(session)
    board = aggregates.learning_set_dashboard(session, ls=ls)
    labels = frameworks.short_titles(session)
    chart = {c.name: c for c in set_charts(board, labels, {s.id: s.name for s in board.sites},
                                            frameworks.scale_names(session))}["progress"]
    grid, meetings = chart.figure["data"]
    assert grid["x"] == [0, 1, 2, 3, 4]
    assert chart.figure["layout"]["xaxis"]["ticktext"] == [
        "Jan–Mar 2024", "Apr–Jun 2024", "Jul–Sep 2024", "Oct–Dec 2024", "Jan–Mar 2025"]
    assert grid["z"][0] == [0.5, 1.0, 1.67, 1.67, 2.0]
    assert grid["text"][0] == ["0.5<br>n=2", "1<br>n=2", "1.67<br>n=3", "1.67<br>n=3",
                               "2<br>n=3"]
    # A scale of its own: not one of the levels' colours, not stepped at whole levels.
    assert grid["colorscale"] == MEAN_SCALE
    assert not {c for _, c in grid["colorscale"]} & set(charts.LEVEL_COLOURS)
    assert chart.key == "means"
    # The meeting on 12 November 2024 sits in the fourth quarter, on the time axis.
    assert meetings["type"] == "scatter" and meetings["yaxis"] == "y2"
    assert 3 - 0.5 < meetings["x"][0] < 3 + 0.5
    assert chart.figure["layout"]["shapes"][0]["x0"] == meetings["x"][0]
    assert chart.table.columns[:4] == ["Challenge", "Quarter", "Sites with an agreed level (n)",
                                       "Mean agreed level"]
    assert chart.table.rows[2] == [labels[0], "Jul–Sep 2024", 3, 1.67, ""]
    assert chart.table.rows[3][4] == "2024-11-12 Autumn"


def test_progress_labels_and_meeting_titles_stay_text():
    fig = progress_grid([MARKUP], [date(2024, 1, 1)], [[1.5]], [[2]],
                        [(date(2024, 2, 1), MARKUP)], title=MARKUP)
    assert_inert(fig)


def test_programme_compares_learning_sets_by_quarter_with_n(session):
    ls = uneven_set(session)
    other = make_learning_set(session, name="Second Set")
    _history(session, other, "Elm", [(_at(2024, 10, 3, 9), 3)])
    d = aggregates.programme_comparison(session, learning_set_id=None)
    labels = frameworks.short_titles(session)
    chart = {c.name: c for c in programme_charts(d, labels, frameworks.scale_names(session))}[
        "sets"]
    grid = chart.figure["data"][0]
    rows = dict(zip(grid["y"], zip(grid["z"], grid["text"], strict=True), strict=True))
    assert rows["Uneven Set"][0] == [0.5, 1.0, 1.67, 1.67, 2.0]
    assert rows["Second Set"][0] == [None, None, None, 3.0, 3.0]
    assert rows["Second Set"][1][3] == "3<br>n=1"
    assert not {c for _, c in grid["colorscale"]} & set(charts.LEVEL_COLOURS)
    assert [r[:4] for r in chart.table.rows if r[0] == "Uneven Set"][2] == [
        "Uneven Set", "Jul–Sep 2024", 3, 1.67]
    assert d.progress.cells(ls.id, 1)[0] == Cell(0.5, 2)


def test_dashboard_presentation_csv_and_programme_show_the_quarters(client, session):
    BODIES.clear()
    world = World(session)
    ls = uneven_set(session, "Set shown")
    session.add(LearningSetFacilitator(learning_set_id=ls.id, user_id=world.facilitator.id))
    session.commit()
    sign_in(client, world.facilitator)
    page = client.get(f"/learning-sets/{ls.id}/dashboard")
    assert page.status_code == 200, page.text
    assert 'id="chart-progress-key"' in page.text and "Jan–Mar 2024" in page.text
    assert "across cycles" not in page.text
    present = client.get(f"/learning-sets/{ls.id}/present?anonymise=true")
    assert present.status_code == 200 and 'data-chart="chart-progress-data"' in present.text
    download = client.get(f"/learning-sets/{ls.id}/dashboard?chart=progress&anonymise=true")
    assert download.status_code == 200
    table = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert table[0][:4] == ["Challenge", "Quarter", "Sites with an agreed level (n)",
                            "Mean agreed level"]
    assert table[1][1:4] == ["Jan–Mar 2024", "2", "0.5"]
    sign_in(client, world.programme)
    programme = client.get("/programme?chart=sets")
    assert programme.status_code == 200
    assert "Set shown,Jul–Sep 2024,3,1.67" in programme.text
