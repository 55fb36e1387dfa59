"""Dashboards: access, anonymisation, escaping, CSVs and a constant number of queries."""

import csv
import io
import json
import re
from datetime import date

import pytest
import time_machine
from sqlalchemy import event

from imroc.charts import plotly_text
from imroc.clock import utcnow
from imroc.db import get_engine
from imroc.models import ConsensusScore, Cycle, LearningSet, Site
from imroc.services import frameworks
from imroc.web.page_cache import BODIES
from tests.factories import World, make_learning_set, sign_in
from tests.test_charts import _texts, assert_inert

EVIL = '</script><script>alert(1)</script>"><img src=x onerror=alert(2)>'


def add_history(session, site: Site, cycles: int = 2, base: int = 0) -> None:
    """Signed-off cycles with consensus levels, made directly for speed."""
    fw = frameworks.current(session)
    for number in range(1, cycles + 1):
        cycle = Cycle(site_id=site.id, number=number, framework_id=fw.id, stage="closed",
                      started_on=date(2023, number, 1), signed_off_at=utcnow(),
                      learning_set_id=site.learning_set_id)
        session.add(cycle)
        session.flush()
        session.add_all([ConsensusScore(cycle_id=cycle.id, challenge=n,
                                        level=min(3, (base + n + number) % 4))
                         for n in range(1, 11)])
    session.commit()


def add_sites(session, count: int, ls: LearningSet, start: int = 0) -> list[Site]:
    sites = [Site(name=f"Bulk site {i}", kind="pilot", learning_set_id=ls.id, region="East")
             for i in range(start, start + count)]
    session.add_all(sites)
    session.commit()
    for s in sites:
        add_history(session, s, cycles=2, base=s.id)
    return sites


@pytest.fixture(autouse=True)
def empty_cache():
    BODIES.clear()


def test_site_dashboard_for_its_members_facilitator_and_programme(client, session):
    world = World(session)
    add_history(session, world.site_a, cycles=3)
    for user in (world.member, world.facilitator, world.programme):
        sign_in(client, user)
        page = client.get(f"/sites/{world.site_a.id}/dashboard")
        assert page.status_code == 200, page.text
        assert 'data-chart="chart-radar-data"' in page.text
        figure = _figure(page.text, "radar")
        assert [t["name"] for t in figure["data"]] == [
            "Cycle 3 (latest)", "Cycle 2 (previous)", "Cycle 1 (first)"]


def test_other_sites_and_sets_are_not_found(client, session):
    world = World(session)
    sign_in(client, world.member)
    assert client.get(f"/sites/{world.site_b.id}/dashboard").status_code == 404
    assert client.get(f"/learning-sets/{world.set_a.id}/dashboard").status_code == 404
    assert client.get("/programme").status_code == 403
    sign_in(client, world.other_facilitator)
    assert client.get(f"/learning-sets/{world.set_a.id}/dashboard").status_code == 404
    assert client.get(f"/learning-sets/{world.set_a.id}/present").status_code == 404


def test_site_users_see_medians_but_no_other_site(client, session):
    world = World(session)
    neighbour = Site(name="Secret Neighbour Trust", kind="pilot", learning_set_id=world.set_a.id)
    session.add(neighbour)
    session.commit()
    for s in (world.site_a, world.site_b, neighbour):
        add_history(session, s, base=s.id)
    sign_in(client, world.member)
    page = client.get(f"/sites/{world.site_a.id}/dashboard")
    fetched = [page.text]
    for name in re.findall(r'data-chart="chart-([a-z-]+)-data"', page.text):
        response = client.get(f"/sites/{world.site_a.id}/dashboard?chart={name}")
        assert response.status_code == 200
        fetched.append(response.text)
    everything = "\n".join(fetched)
    for other in (world.site_b, neighbour):
        assert other.name not in everything
        assert f"/sites/{other.id}" not in everything
    assert "Learning set median" in everything and "Programme median" in everything


def test_learning_set_dashboard_anonymises_every_name(client, session):
    world = World(session)
    add_history(session, world.site_a)
    sign_in(client, world.facilitator)
    named = client.get(f"/learning-sets/{world.set_a.id}/dashboard")
    assert "Site A" in named.text  # the real name of the factory's site
    session.add(Site(name="Hidden Name Trust", kind="pilot", learning_set_id=world.set_a.id))
    session.commit()
    anon = client.get(f"/learning-sets/{world.set_a.id}/dashboard?anonymise=true")
    present = client.get(f"/learning-sets/{world.set_a.id}/present?anonymise=true")
    csv_text = client.get(f"/learning-sets/{world.set_a.id}/dashboard?anonymise=true&chart=sites")
    for response in (anon, present, csv_text):
        assert response.status_code == 200
        assert "Hidden Name Trust" not in response.text
    rows = list(csv.reader(io.StringIO(csv_text.text)))
    assert sorted(r[0] for r in rows[1:]) == ["Site A", "Site B"]


def test_presentation_mode_has_one_slide_per_chart_and_no_edit_controls(client, session):
    world = World(session)
    add_history(session, world.site_a)
    sign_in(client, world.facilitator)
    page = client.get(f"/learning-sets/{world.set_a.id}/present").text
    slides = page.count("data-slide ")
    # one per chart, and the last for objectives reached
    assert slides - 1 == page.count('class="app-chart"') >= 3
    assert 'id="objectives-summary"' in page.split("data-slide ")[-1]
    assert "<form" not in page and "csrf_token" not in page
    assert "js/present.js" in page


def test_markup_in_names_stays_text_in_pages_charts_and_csv(client, session):
    world = World(session)
    world.site_a.name = EVIL
    session.add(world.site_a)
    session.commit()
    add_history(session, world.site_a)
    sign_in(client, world.facilitator)
    page = client.get(f"/learning-sets/{world.set_a.id}/dashboard").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    sites = _figure(page, "sites")
    assert sites["data"][0]["y"][0] == plotly_text(EVIL)  # text to Plotly, escaped in HTML
    assert_inert(sites)
    for url in (f"/learning-sets/{world.set_a.id}/present", "/programme"):
        sign_in(client, world.programme)
        html = client.get(url).text
        figures = re.findall(r'<script type="application/json" id="chart-[\w-]+-data">(.*?)'
                             r'</script>', html, re.S)
        assert figures, url
        for raw in figures:
            for key, value in _texts(json.loads(raw)):
                if key != "hovertemplate":
                    assert "<script" not in value and "<img" not in value, (url, key, value)
    csv_text = client.get(f"/learning-sets/{world.set_a.id}/dashboard?chart=sites").text
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[1][0] == EVIL  # CSV is data, exact; the download is text/csv, never HTML


def test_programme_comparison_filters(client, session):
    world = World(session)
    add_history(session, world.site_a)
    add_history(session, world.site_b)
    sign_in(client, world.programme)
    page = client.get(f"/programme?learning_set_id={world.set_b.id}")
    assert page.status_code == 200
    assert _figure(page.text, "sites")["data"][0]["y"] == ["Site B"]
    assert client.get("/programme?learning_set_id=abc").status_code == 422
    days = client.get("/programme?chart=consultancy").text
    assert "Site A" in days and "Site B" in days


def test_csv_cells_cannot_run_as_formulas(client, session):
    world = World(session)
    world.site_a.name = "=HYPERLINK(\"http://evil\")"
    session.add(world.site_a)
    session.commit()
    add_history(session, world.site_a)
    sign_in(client, world.programme)
    text = client.get("/programme?chart=sites").text
    assert "'=HYPERLINK" in text


def _count_queries(client, url: str) -> int:
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        BODIES.clear()
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_query_count_is_the_same_at_10_and_500_sites(client, session):
    # The clock stands still: adding 490 sites can take over a minute on a busy machine, and
    # the once-a-minute refresh of the session's last-seen time is not the dashboards' cost.
    with time_machine.travel(utcnow(), tick=False):
        world = World(session)
        add_history(session, world.site_a, cycles=3)
        big = make_learning_set(session, name="Big set")
        add_sites(session, 8, big)
        sign_in(client, world.programme)
        urls = [f"/sites/{world.site_a.id}/dashboard", f"/learning-sets/{big.id}/dashboard",
                "/programme"]
        # A process reads a framework version's document once (it never changes): the first
        # page drawn reads it, whatever the number of sites.
        _count_queries(client, urls[0])
        small = [_count_queries(client, u) for u in urls]
        add_sites(session, 490, big, start=8)
        large = [_count_queries(client, u) for u in urls]
    assert small == large, (small, large)


def test_second_visit_uses_the_cached_figures(client, session):
    world = World(session)
    add_history(session, world.site_a)
    sign_in(client, world.member)
    url = f"/sites/{world.site_a.id}/dashboard"
    first = _count_queries(client, url)
    statements: list[str] = []
    engine = get_engine()

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) < first


def _figure(html: str, name: str) -> dict:
    match = re.search(rf'<script type="application/json" id="chart-{name}-data">(.*?)</script>',
                      html, re.S)
    assert match, f"no chart {name}"
    return json.loads(match.group(1))


def test_unknown_chart_is_not_found_and_blank_filter_means_all(client, session):
    world = World(session)
    add_history(session, world.site_a)
    add_history(session, world.site_b)
    sign_in(client, world.programme)
    assert client.get(f"/sites/{world.site_a.id}/dashboard?chart=no-such-chart").status_code == 404
    page = client.get("/programme?kind=&learning_set_id=&region=")
    assert page.status_code == 200
    assert _figure(page.text, "sites")["data"][0]["y"] == ["Site A", "Site B"]


def test_the_data_version_changes_when_a_write_with_a_lower_id_commits_late(session):
    from imroc.models import AuditEvent
    from imroc.services.dashboards import aggregates as dashboards

    session.add(AuditEvent(id=11, action="update", entity="site", entity_id="1"))
    session.commit()
    seen = dashboards.data_version(session)
    # On PostgreSQL, id 10 was handed out first but its transaction commits second.
    session.add(AuditEvent(id=10, action="update", entity="site", entity_id="2"))
    session.commit()
    assert dashboards.data_version(session) != seen


def test_a_write_through_a_service_shows_on_the_cached_dashboard(client, session):
    from imroc.models.site import SiteUpdate
    from imroc.services import sites
    from imroc.services.access import load_principal

    world = World(session)
    add_history(session, world.site_a)
    sign_in(client, world.programme)
    url = f"/learning-sets/{world.set_a.id}/dashboard"
    assert "Renamed by the team" not in client.get(url).text
    site = session.get(Site, world.site_a.id)
    sites.update_site(session, site=site, principal=load_principal(session, world.programme),
                      data=SiteUpdate(name="Renamed by the team", version=site.version))
    assert "Renamed by the team" in client.get(url).text


def test_chart_csv_defuses_formulas_but_leaves_empty_cells_empty():
    from imroc.web.downloads import table_csv

    rows = list(csv.reader(io.StringIO(table_csv(["Site", "Level", "Note"],
                                                 [["=cmd()", None, ""], ["Site B", 2, "-"]])
                                       .decode())))
    assert rows == [["Site", "Level", "Note"], ["'=cmd()", "", ""], ["Site B", "2", "'-"]]


def test_every_chart_csv_is_a_download_that_is_never_kept(client, session):
    world = World(session)
    add_history(session, world.site_a)
    sign_in(client, world.programme)
    for url in (f"/sites/{world.site_a.id}/dashboard?chart=radar",
                f"/learning-sets/{world.set_a.id}/dashboard?chart=sites",
                "/programme?chart=sites"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["cache-control"] == "no-store", url
        assert r.headers["x-content-type-options"] == "nosniff", url
        assert r.headers["content-disposition"].startswith('attachment; filename="'), url
        assert r.headers["content-type"].startswith("text/csv"), url
