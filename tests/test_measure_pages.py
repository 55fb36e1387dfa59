"""The measure pages: defining a measure, entering two years of values in the grid, the
chart with its icons and table, CSV imports, the cycle page and the programme summary."""

import json
import re
from datetime import UTC, date, datetime

from imroc.models import DataPoint
from imroc.models.measure import MeasureIn, PointIn
from imroc.services import frameworks
from imroc.services.access import load_principal
from imroc.services.measures import definitions as measures
from imroc.services.measures import values as measure_data
from tests.core_loop import advance_to, ok, open_cycle, rows
from tests.factories import sign_in

EVIL = '</script><script>alert(1)</script><img src=x onerror=alert(2)>'
# Twelve stable months around 10, then a year around 14: a shift upwards (improving).
TWO_YEARS = [10, 11, 9, 10, 10, 11, 9, 10, 11, 9, 10, 10,
             14, 13, 15, 14, 14, 13, 15, 14, 14, 15, 13, 14]
MONTHS = [date(2024 + m // 12, m % 12 + 1, 1).isoformat() for m in range(24)]



def make_measure(session, w, **extra):
    data = {"site_id": w.site_a.id, "name": "Peer support contacts", "kind": "count",
            "direction": "up", "starts_on": date(2024, 1, 1), "unit": "contacts",
            "challenges": [3]} | extra
    return measures.create_measure(session, principal=load_principal(session, w.lead),
                                   data=MeasureIn(**data))


def rows_in(session, table: str) -> int:
    return rows(session, f'SELECT count(*) FROM "{table}"')[0][0]


def grid(values, **extra) -> dict:
    body = {f"value_{m}": str(v) for m, v in zip(MONTHS, values, strict=False)}
    return body | extra


def figure(page: str, name: str = "spc") -> dict:
    match = re.search(rf'<script type="application/json" id="chart-{name}-data">(.*?)</script>',
                      page, re.S)
    assert match, f"no chart {name}"
    return json.loads(match.group(1))


def test_a_lead_defines_a_local_measure(client, session, w):
    csrf = sign_in(client, w.lead)
    form = {"csrf_token": csrf, "name": "", "kind": "ratio", "direction": "up",
            "starts_on-day": "1", "starts_on-month": "1", "starts_on-year": "2024",
            "scale": "100", "chart": "xmr", "frequency": "monthly",
            "numerator_label": "Plans co-written", "challenges": ["3", "4"]}
    page = client.post(f"/sites/{w.site_a.id}/measures/new", data=form)
    assert page.status_code == 422
    assert "Enter the name" in page.text and 'value="Plans co-written"' in page.text
    assert 'id="challenge-4" name="challenges" type="checkbox" value="4" checked' in page.text
    assert rows_in(session, "measure") == 0
    form |= {"name": "Co-written care plans", "denominator_label": "Care plans reviewed"}
    done = client.post(f"/sites/{w.site_a.id}/measures/new", data=form, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "Co-written care plans" in page and "Plans co-written ÷ Care plans reviewed × 100" in page
    # A member cannot; the programme team defines core measures on its own page.
    sign_in(client, w.member)
    assert client.get(f"/sites/{w.site_a.id}/measures/new").status_code == 403


def test_two_years_in_the_grid_give_a_chart_whose_table_agrees(client, session, w):
    m = make_measure(session, w, target=11)
    csrf = sign_in(client, w.member)
    url = f"/sites/{w.site_a.id}/measures/{m.id}"
    assert MONTHS[-1] in client.get(f"{url}/data").text
    done = client.post(f"{url}/data", data=grid(TWO_YEARS, csrf_token=csrf,
                                                annotation_2025_01_01="ignored"),
                       follow_redirects=False)
    assert done.status_code == 303
    assert rows_in(session, "data_point") == 24
    page = client.get(url).text
    assert "Special cause variation – improving" in page
    assert "The latest value is 14 contacts" in page
    assert "7 or more points in a row all above or all below the mean" in page
    fig = figure(page)
    plotted = {x: y for trace in fig["data"] if trace["mode"] == "markers"
               for x, y in zip(trace["x"], trace["y"], strict=False)}
    improving = next(t for t in fig["data"] if t["name"] == "Special cause: improving")
    table = re.search(r"<tbody class=\"nhsuk-table__body\">(.*?)</tbody>", page, re.S).group(1)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
             for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]
    assert len(cells) == 24
    for row in cells:  # period, value, mean, lower, upper, variation, rules, notes
        assert float(row[1]) == plotted[row[0]]
        assert (row[0] in improving["x"]) == (row[5] == "Special cause: improving")
    assert cells[-1][6].startswith("Shift")
    csv_text = client.get(f"{url}?chart=spc").text.splitlines()
    assert csv_text[0].startswith("Period,Value,Mean") and len(csv_text) == 25


def test_a_bad_row_in_the_grid_saves_nothing_and_keeps_what_was_typed(client, session, w):
    m = make_measure(session, w)
    csrf = sign_in(client, w.member)
    values = list(TWO_YEARS)
    values[7] = "lots"
    page = client.post(f"/sites/{w.site_a.id}/measures/{m.id}/data",
                       data=grid(values, csrf_token=csrf))
    assert page.status_code == 422
    assert "Aug 2024: Value must be a number" in page.text
    assert 'value="lots"' in page.text and 'value="14"' in page.text
    assert rows_in(session, "data_point") == 0


def test_rows_save_one_by_one_with_htmx_and_conflicts_are_shown(client, session, w):
    m = make_measure(session, w)
    csrf = sign_in(client, w.member)
    url = f"/sites/{w.site_a.id}/measures/{m.id}/data/2024-01-01"
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
    first = client.post(url, data={"value_2024-01-01": "5", "version_2024-01-01": ""},
                        headers=headers)
    assert first.status_code == 200 and "Saved" in first.text
    assert 'name="version_2024-01-01" value="1"' in first.text
    # Someone else corrects it meanwhile; this page still holds version 1.
    measure_data.save_points(session, site=w.site_a, measure=m, principal=load_principal(
        session, w.lead), points=[PointIn(period=date(2024, 1, 1), value=6, version=1)])
    late = client.post(url, data={"value_2024-01-01": "7", "version_2024-01-01": "1"},
                       headers=headers)
    assert late.status_code == 409 and "Someone else saved 6" in late.text
    assert 'value="2"' in late.text  # saving again now is a choice made knowing both
    bad = client.post(url, data={"value_2024-01-01": "-3", "version_2024-01-01": "2"},
                      headers=headers)
    assert bad.status_code == 422 and "A count must be 0 or more" in bad.text
    again = client.post(url, data={"value_2024-01-01": "7", "version_2024-01-01": "2"},
                        headers=headers)
    assert again.status_code == 200
    assert [p.value for p in measure_data.list_points(session, site=w.site_a, measure=m)] == [7]


def test_csv_import_checks_every_line_then_saves_all_or_nothing(client, session, w):
    m = make_measure(session, w)
    csrf = sign_in(client, w.member)
    url = f"/sites/{w.site_a.id}/measures/{m.id}/import"

    def send(content: bytes, check_only: bool = False):
        data = {"csrf_token": csrf} | ({"check_only": "yes"} if check_only else {})
        return client.post(url, data=data, files={"file": ("values.csv", content, "text/csv")})

    good = "period,value,note\n" + "".join(f"{m_},{v},\n" for m_, v in zip(MONTHS, TWO_YEARS, strict=False))
    checked = send(good.encode(), check_only=True)
    assert checked.status_code == 200 and "The file is ready: 24 new values" in checked.text
    assert rows_in(session, "data_point") == 0
    bad = good.replace("2024-06-01,11,", "2024-06-15,eleven,")
    report = send(bad.encode())
    assert report.status_code == 422 and "Nothing was imported" in report.text
    assert "must be the first day of the month" in report.text
    assert rows_in(session, "data_point") == 0
    for content, reason in ((b"", "Select a CSV file"),
                            (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "not a text file"),
                            ("period,value\n2024-01,caf\u00e9\n".encode("latin-1"),
                             "unreadable bytes on line 2"),
                            (b"when,amount\n2024-01,3\n", "column is missing"),
                            (b"period,value\n", "no rows of values"),
                            (b"period,value\n" + b"2024-01,1\n" * 200_000, "larger than")):
        response = send(content)
        assert response.status_code == 422 and reason in response.text, reason
    assert rows_in(session, "data_point") == 0
    assert send(good.encode()).status_code == 200
    assert rows_in(session, "data_point") == 24
    replaced = send(b"period,value,note\n2024-01,12,Recounted\n")
    assert "replaced 1" in replaced.text
    points = measure_data.list_points(session, site=w.site_a, measure=m)
    assert (points[0].value, points[0].annotation, points[0].version) == (12, "Recounted", 2)


def test_the_site_list_shows_what_is_due(client, session, w):
    m = make_measure(session, w)
    lead = load_principal(session, w.lead)
    measure_data.save_points(session, site=w.site_a, measure=m, principal=lead,
                             points=[PointIn(period=date(2024, 1, 1), value=3)])
    sign_in(client, w.member)
    page = client.get(f"/sites/{w.site_a.id}/measures").text
    assert "Peer support contacts" in page and "Overdue" in page
    assert "3 contacts (Jan 2024)" in page


def test_markup_stays_text_in_pages_and_charts(client, session, w):
    m = make_measure(session, w, name=EVIL, unit="<b>u</b>", challenges=[3])
    lead = load_principal(session, w.lead)
    measure_data.save_points(session, site=w.site_a, measure=m, principal=lead, points=[
        PointIn(period=date(2024, 1, 1), value=3, annotation=EVIL)])
    sign_in(client, w.member)
    for path in (f"/sites/{w.site_a.id}/measures", f"/sites/{w.site_a.id}/measures/{m.id}",
                 f"/sites/{w.site_a.id}/measures/{m.id}/data"):
        page = client.get(path).text
        assert "<script>alert(1)" not in page and "<img src=x" not in page, path
    fig = figure(client.get(f"/sites/{w.site_a.id}/measures/{m.id}").text)
    assert "<b>u</b>" not in json.dumps(fig) and fig["layout"]["meta"]["title"] == EVIL


def test_the_cycle_page_shows_the_charts_of_its_priorities_measures(client, session, w):
    linked = make_measure(session, w, challenges=[3])
    make_measure(session, w, name="Unrelated", challenges=[5])
    lead = load_principal(session, w.lead)
    measure_data.save_points(session, site=w.site_a, measure=linked, principal=lead, points=[
        PointIn(period=date(2024, 1, 1), value=3), PointIn(period=date(2024, 2, 1), value=4)])
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "do")  # priority: challenge 3
    sign_in(client, w.member)
    page = client.get(f"/cycles/{cid}").text
    assert "Measures for these priorities" in page
    assert figure(page, f"measure-{linked.id}")["layout"]["meta"]["title"] == "Peer support contacts"
    assert "Unrelated" not in page
    assert 'role="img" aria-label="Common cause variation"' in page  # its icon, drawn as SVG
    assert ok(client.get(f"/api/v1/cycles/{cid}", headers=w.h["lead"]))["stage"] == "do"


def test_programme_summary_names_sites_and_learning_set_summary_does_not(client, session, w):
    w.site_a.name = "Riverside Recovery"
    session.add(w.site_a)
    session.commit()
    core = measures.create_measure(session, principal=load_principal(session, w.programme),
                                   data=MeasureIn(name="Hope", kind="count", direction="up",
                                                  starts_on=date(2024, 1, 1), target=5))
    lead = load_principal(session, w.lead)
    measure_data.save_points(session, site=w.site_a, measure=core, principal=lead,
                             points=[PointIn(period=date(2024, 1, 1), value=4)])
    sign_in(client, w.programme)
    page = client.get("/programme/measures").text
    assert "Riverside Recovery" in page and "Site B" in page and "4 (Jan 2024)" in page
    sign_in(client, w.facilitator)
    assert client.get("/programme/measures").status_code == 403
    page = client.get(f"/learning-sets/{w.set_a.id}/measures").text
    assert "Hope" in page and "4 (Jan 2024)" in page
    assert "Riverside" not in page and "Site A" in page
    assert f"/sites/{w.site_a.id}/" not in page  # no links that would name the site
    assert client.get(f"/learning-sets/{w.set_b.id}/measures").status_code == 404


def _statements(client, url: str) -> int:
    from sqlalchemy import event

    from imroc.db import get_engine

    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(get_engine(), "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(get_engine(), "before_cursor_execute", listener)
    return len(seen)


def test_measure_pages_ask_the_same_number_of_queries_for_few_sites_or_many(client, session, w):
    from imroc.models import Site

    core = measures.create_measure(session, principal=load_principal(session, w.programme),
                                   data=MeasureIn(name="Hope", kind="count", direction="up",
                                                  starts_on=date(2024, 1, 1), target=5))
    local = make_measure(session, w)

    def add(count: int, start: int) -> None:
        new = [Site(name=f"Bulk {i}", kind="pilot", learning_set_id=w.set_a.id)
               for i in range(start, start + count)]
        session.add_all(new)
        session.commit()
        for s in new:
            session.execute(DataPoint.__table__.insert(), [
                {"measure_id": core.id, "site_id": s.id, "period_start": date(2024, m, 1),
                 "value": m, "annotation": "", "rebase": False, "version": 1,
                 "updated_at": datetime.now(UTC)} for m in range(1, 13)])
        session.commit()

    add(3, 0)
    lead = load_principal(session, w.lead)
    measure_data.save_points(session, site=w.site_a, measure=local, principal=lead,
                             points=[PointIn(period=date(2024, m, 1), value=m) for m in range(1, 13)])
    urls = ["/programme/measures", f"/sites/{w.site_a.id}/measures",
            f"/sites/{w.site_a.id}/measures/{local.id}"]
    sign_in(client, w.programme)
    # The framework's document is kept once read (a version never changes): read it first,
    # so the first page counted is not charged for what every later page is spared.
    frameworks.document_by_id(session, frameworks.current(session).id)
    small = [_statements(client, u) for u in urls]
    add(60, 3)
    large = [_statements(client, u) for u in urls]
    assert small == large, (small, large)


def test_a_grid_saved_over_someone_elses_change_keeps_both_and_saves_nothing(client, session, w):
    m = make_measure(session, w)
    lead = load_principal(session, w.lead)
    measure_data.save_points(session, site=w.site_a, measure=m, principal=lead,
                             points=[PointIn(period=date(2024, 1, 1), value=5)])
    csrf = sign_in(client, w.member)
    url = f"/sites/{w.site_a.id}/measures/{m.id}/data"
    assert 'name="version_2024-01-01" value="1"' in client.get(url).text
    measure_data.save_points(session, site=w.site_a, measure=m, principal=lead, points=[
        PointIn(period=date(2024, 1, 1), value=6, version=1, annotation="Recount")])
    page = client.post(url, data={"csrf_token": csrf, "value_2024-01-01": "7",
                                  "version_2024-01-01": "1", "value_2024-02-01": "8"})
    assert page.status_code == 409
    assert "Someone else changed the values for Jan 2024" in page.text
    assert 'value="7"' in page.text and 'value="8"' in page.text  # nothing typed is lost
    assert "Saved now: 6 (Recount)" in page.text
    assert 'name="version_2024-01-01" value="2"' in page.text  # saving again is a choice
    assert [p.value for p in measure_data.list_points(session, site=w.site_a, measure=m)] == [6]


def test_changing_a_measure_someone_else_changed_shows_theirs_and_keeps_yours(
        client, session, w):
    m = make_measure(session, w)
    csrf = sign_in(client, w.lead)
    form = {"csrf_token": csrf, "name": "Peer contacts (all wards)", "direction": "up",
            "chart": "xmr", "scale": "1", "version": "1", "challenges": ["3"]}
    assert client.post(f"/measures/{m.id}/edit", data=form,
                       follow_redirects=False).status_code == 303
    page = client.post(f"/measures/{m.id}/edit", data=form | {"name": "Mine", "target": "9"})
    assert page.status_code == 409
    assert "Someone else changed this measure" in page.text
    assert "It is now called “Peer contacts (all wards)”" in page.text
    assert 'value="Mine"' in page.text and 'name="version" value="2"' in page.text
    assert rows_in(session, "measure") == 1
    assert rows(session, "SELECT name, target FROM measure") == [("Peer contacts (all wards)", None)]


def test_an_unknown_chart_name_is_not_found(client, session, w):
    m = make_measure(session, w)
    sign_in(client, w.member)
    assert client.get(f"/sites/{w.site_a.id}/measures/{m.id}?chart=radar").status_code == 404
    # No values yet: there is no chart to download either.
    assert client.get(f"/sites/{w.site_a.id}/measures/{m.id}?chart=spc").status_code == 404


def test_pages_draw_the_making_data_count_icons_and_tell_the_recalculated_story(
        client, session, w):
    m = make_measure(session, w, target=11)
    lead = load_principal(session, w.lead)
    measure_data.save_points(session, site=w.site_a, measure=m, principal=lead, points=[
        PointIn(period=date.fromisoformat(p), value=v, rebase=p == MONTHS[12])
        for p, v in zip(MONTHS, TWO_YEARS, strict=True)])
    sign_in(client, w.member)
    page = client.get(f"/sites/{w.site_a.id}/measures/{m.id}").text
    # Against its own new limits the latest value is ordinary; the story is the comparison.
    assert ("After limits were recalculated from Jan 2025 the mean rose from 10 contacts to "
            "14 contacts; against the earlier limits, the new values show a special cause of "
            "improvement (a run of 12 above the earlier mean and 12 values above the earlier "
            "upper limit).") in page
    assert "Against the new limits, variation is common cause" in page
    names = {n["text"] for n in figure(page)["layout"]["annotations"]}
    assert {"Before Jan 2025", "From Jan 2025"} <= names
    icon = re.search(r'<span class="app-spc-icon">(<svg.*?</svg>)', page, re.S).group(1)
    assert 'role="img" aria-label="Common cause variation"' in icon
    assert "<text" not in icon  # common cause: dots, no letter
    assurance = re.findall(r'<span class="app-spc-icon">(<svg.*?</svg>)', page, re.S)[1]
    assert 'aria-label="The target will consistently be met"' in assurance
    assert re.search(r'fill="#005eb8"[^>]*>P</text>', assurance)
    assert ">~<" not in page and ">?<" not in page
    # The site's list of measures draws the same icons.
    listing = client.get(f"/sites/{w.site_a.id}/measures").text
    assert 'aria-label="Common cause variation"' in listing
    assert 'aria-label="The target will consistently be met"' in listing


def test_a_special_cause_icon_says_high_or_low(client, session, w):
    m = make_measure(session, w)
    lead = load_principal(session, w.lead)
    measure_data.save_points(session, site=w.site_a, measure=m, principal=lead, points=[
        PointIn(period=date.fromisoformat(p), value=v) for p, v in zip(MONTHS, TWO_YEARS,
                                                                    strict=True)])
    sign_in(client, w.member)
    page = client.get(f"/sites/{w.site_a.id}/measures/{m.id}").text
    icon = re.search(r'<span class="app-spc-icon">(<svg.*?</svg>)', page, re.S).group(1)
    assert 'aria-label="Special cause variation – improving (higher values)"' in icon
    assert re.search(r'fill="#005eb8"[^>]*>H</text>', icon)
