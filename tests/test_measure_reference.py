"""Survey measures: a yearly frequency, a national reference series kept by the programme team
(over the API, typed on a page or imported from CSV), the survey's band on a site's values,
and the series read on the chart, in the summary, across sites and in the site report."""

from datetime import date

import time_machine
from sqlmodel import select

from imroc import periods
from imroc.models.measure import MeasureIn, PointIn
from imroc.services.access import load_principal
from imroc.services.measures import charts as measure_charts
from imroc.services.measures import definitions as measures
from imroc.services.measures import values as measure_data
from tests.core_loop import API, ok, rows
from tests.factories import sign_in
from tests.pages import form_fields

NOW = "2026-06-15 12:00:00Z"
SERIES = [{"period": "2023-01-01", "value": 6.9, "lower": 6.5, "upper": 7.3},
          {"period": "2024-01-01", "value": 7.0},
          {"period": "2025-01-01", "value": 7.1, "lower": 6.7, "upper": 7.5}]


def survey(session, w, **extra):
    data = {"name": "Felt involved in agreeing their care", "kind": "average",
            "direction": "up", "frequency": "yearly", "starts_on": date(2023, 1, 1),
            "unit": "", "definition": "Mean score out of 10 in the annual survey"} | extra
    return measures.create_measure(session, principal=load_principal(session, w.programme),
                                   data=MeasureIn(**data))


def count(session, table: str) -> int:
    return rows(session, f'SELECT count(*) FROM "{table}"')[0][0]


def site_values(session, w, m, values, bands):
    measure_data.save_points(
        session, site=w.site_a, measure=m, principal=load_principal(session, w.member),
        points=[PointIn(period=date(2023 + i, 1, 1), value=v, band=b)
                for i, (v, b) in enumerate(zip(values, bands, strict=True))],
        today=date(2026, 6, 15))


def test_yearly_periods_are_survey_years():
    assert periods.parse("2025", "yearly") == date(2025, 1, 1)
    assert periods.label(date(2025, 1, 1), "yearly") == "2025"
    assert periods.following(date(2025, 1, 1), "yearly") == date(2026, 1, 1)
    assert periods.last_complete(date(2026, 6, 15), "yearly") == date(2025, 1, 1)
    assert not periods.is_start(date(2025, 4, 1), "yearly")


def test_yearly_values_are_due_once_a_year(session, w):
    m = survey(session, w)
    assert m.frequency == "yearly"
    site_values(session, w, m, [6.4], [None])
    due = measure_data.due(session, site=w.site_a, measures=[m], today=date(2026, 6, 15))[0]
    assert due.missing == [date(2024, 1, 1), date(2025, 1, 1)] and due.status == "overdue"


@time_machine.travel(NOW, tick=False)
def test_the_reference_series_is_read_by_all_and_written_by_the_programme_team(client, session, w):
    m = survey(session, w)
    url = f"{API}/measures/{m.id}/reference"
    for role in ("member", "lead", "facilitator"):
        assert client.put(url, json={"points": SERIES}, headers=w.h[role]).status_code == 403
    assert count(session, "reference_point") == 0
    saved = ok(client.put(url, json={"points": SERIES}, headers=w.h["programme"]))
    assert [p["period"] for p in saved] == ["2023-01-01", "2024-01-01", "2025-01-01"]
    assert saved[1] == {"period": "2024-01-01", "value": 7.0, "lower": None, "upper": None}
    read = ok(client.get(url, headers=w.h["member_b"]))  # a core measure: every site sees it
    assert read == saved
    assert client.get(url).status_code == 401
    # PUT replaces the whole series.
    ok(client.put(url, json={"points": SERIES[2:]}, headers=w.h["programme"]))
    assert [p["period"] for p in ok(client.get(url, headers=w.h["member"]))] == ["2025-01-01"]
    audit = rows(session, "SELECT action FROM audit_event WHERE entity = 'reference_point'")
    assert [a[0] for a in audit] == ["replace", "replace"]


@time_machine.travel(NOW, tick=False)
def test_a_local_measure_reference_is_hidden_from_other_sites(client, session, w):
    m = measures.create_measure(session, principal=load_principal(session, w.lead), data=MeasureIn(
        site_id=w.site_a.id, name="Local survey", kind="average", direction="up",
        frequency="yearly", starts_on=date(2024, 1, 1)))
    assert client.get(f"{API}/measures/{m.id}/reference", headers=w.h["member_b"]).status_code == 404
    assert ok(client.get(f"{API}/measures/{m.id}/reference", headers=w.h["member"])) == []


@time_machine.travel(NOW, tick=False)
def test_bad_reference_points_are_refused_naming_the_field(client, session, w):
    m = survey(session, w)
    url = f"{API}/measures/{m.id}/reference"
    for point, field in (({"period": "2025-03-01", "value": 7}, "points.0.period"),
                         ({"period": "2027-01-01", "value": 7}, "points.0.period"),
                         ({"period": "2025-01-01", "value": "NaN"}, "points.0.value"),
                         ({"period": "2025-01-01"}, "points.0.value"),
                         ({"period": "2025-01-01", "value": 7, "lower": 8, "upper": 6},
                          "points.0.lower")):
        response = client.put(url, json={"points": [point]}, headers=w.h["programme"])
        assert response.status_code == 422, point
        assert response.json()["detail"][0]["field"] == field, point
    twice = client.put(url, json={"points": [SERIES[0], SERIES[0]]}, headers=w.h["programme"])
    assert twice.status_code == 422 and twice.json()["detail"][0]["field"] == "points.1.period"
    assert count(session, "reference_point") == 0


@time_machine.travel(NOW, tick=False)
def test_a_site_point_carries_the_survey_band(client, session, w):
    m = survey(session, w)
    url = f"{API}/sites/{w.site_a.id}/measures/{m.id}/data"
    saved = ok(client.put(url, json={"points": [
        {"period": "2025-01-01", "value": 6.8, "band": "about_same"}]}, headers=w.h["member"]))
    assert saved[0]["band"] == "about_same"
    bad = client.put(url, json={"points": [{"period": "2024-01-01", "value": 6, "band": "great"}]},
                     headers=w.h["member"])
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "points.0.band"


@time_machine.travel(NOW, tick=False)
def test_the_chart_draws_the_national_line_and_the_summary_reads_it(client, session, w):
    m = survey(session, w)
    ok(client.put(f"{API}/measures/{m.id}/reference", json={"points": SERIES},
                  headers=w.h["programme"]))
    site_values(session, w, m, [6.2, 6.5, 6.8], ["worse", None, "about_same"])
    a = measure_charts.analyse(session, site=w.site_a, measure=m, challenges=[])
    chart = a.chart()
    traces = {t["name"]: t for t in chart.figure["data"]}
    assert traces["National value"]["x"] == ["2023", "2024", "2025"]
    assert traces["National value"]["y"] == [6.9, 7.0, 7.1]
    assert traces["National range"]["y"] == [7.3, 7.5]
    assert traces["National range (lower)"]["y"] == [6.5, 6.7]
    assert chart.table.columns[-3:] == ["National value", "National range", "Survey band"]
    assert chart.table.rows[0][-3:] == [6.9, "6.5 to 7.3", "Worse than expected"]
    assert a.summary.endswith("In 2025 the trust scored 6.8 against a national 7.1; the survey "
                              "placed it about the same as expected.")
    spc = ok(client.get(f"{API}/sites/{w.site_a.id}/measures/{m.id}/spc", headers=w.h["member"]))
    assert "against a national 7.1" in spc["summary"]
    sign_in(client, w.member)
    page = " ".join(client.get(f"/sites/{w.site_a.id}/measures/{m.id}").text.split())
    assert "National value" in page and "the survey placed it about the same" in page
    assert f"/measures/{m.id}/reference" not in page  # only the programme team keeps it


@time_machine.travel(NOW, tick=False)
def test_the_reference_page_saves_typed_rows_all_or_nothing(client, session, w):
    m = survey(session, w)
    url = f"/measures/{m.id}/reference"
    csrf = sign_in(client, w.member)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": csrf, "rows": "1", "period_0": "2025",
                                  "value_0": "7"}).status_code == 403
    csrf = sign_in(client, w.programme)
    assert client.get(url).status_code == 200
    typed = {"csrf_token": csrf, "rows": "3", "period_0": "2024", "value_0": "7.0",
             "period_1": "2025", "value_1": "7.1", "lower_1": "7.6", "upper_1": "6.7"}
    bad = client.post(url, data=typed)
    assert bad.status_code == 422 and "nhsuk-error-summary" in bad.text
    assert "Row 2: The lower end of the range" in bad.text and 'value="7.6"' in bad.text
    assert count(session, "reference_point") == 0
    wrong_year = client.post(url, data=typed | {"period_0": "2024-05", "lower_1": "6.7",
                                                "upper_1": "7.6"})
    assert wrong_year.status_code == 422 and "Row 1: the period" in wrong_year.text
    done = client.post(url, data=typed | {"lower_1": "6.7", "upper_1": "7.6"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert rows(session, "SELECT value, lower, upper FROM reference_point ORDER BY period_start") \
        == [(7.0, None, None), (7.1, 6.7, 7.6)]
    assert 'value="2025"' in client.get(url).text


@time_machine.travel(NOW, tick=False)
def test_reference_csv_is_checked_first_and_saved_all_or_nothing(client, session, w):
    m = survey(session, w)
    url = f"/measures/{m.id}/reference/import"
    csrf = sign_in(client, w.programme)

    def send(content: bytes, check_only: bool = False):
        data = {"csrf_token": csrf} | ({"check_only": "yes"} if check_only else {})
        return client.post(url, data=data, files={"file": ("national.csv", content, "text/csv")})

    good = b"period,value,lower,upper\n2023,6.9,6.5,7.3\n2024,7.0,,\n2025,7.1,6.7,7.5\n"
    checked = send(good, check_only=True)
    assert checked.status_code == 200 and "The file is ready: 3 new national values" in checked.text
    assert count(session, "reference_point") == 0
    bad = good.replace(b"2024,7.0", b"2024,seven").replace(b"6.7,7.5", b"7.9,7.5")
    report = send(bad)
    assert report.status_code == 422 and "Nothing was imported" in report.text
    assert "must be a number" in report.text and "must not be above the upper" in report.text
    assert send(b"period,value\n2025,7\n2025,7.2\n").status_code == 422
    assert send(b"year,score\n2025,7\n").status_code == 422
    assert send(b"").status_code == 422
    assert count(session, "reference_point") == 0
    assert send(good).status_code == 200
    assert count(session, "reference_point") == 3
    sign_in(client, w.lead)
    assert send(good).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_site_values_csv_takes_the_survey_band(client, session, w):
    m = survey(session, w)
    csrf = sign_in(client, w.member)
    url = f"/sites/{w.site_a.id}/measures/{m.id}/import"
    content = b"period,value,band\n2024,6.5,\n2025,6.8,about_same\n"
    response = client.post(url, data={"csrf_token": csrf},
                           files={"file": ("v.csv", content, "text/csv")})
    assert response.status_code == 200
    assert [p.band for p in measure_data.list_points(session, site=w.site_a, measure=m)] == [
        None, "about_same"]
    wrong = client.post(url, data={"csrf_token": csrf},
                        files={"file": ("v.csv", b"period,value,band\n2025,6,top\n", "text/csv")})
    assert wrong.status_code == 422 and "Nothing was imported" in wrong.text


@time_machine.travel(NOW, tick=False)
def test_the_programme_compares_sites_on_each_survey_measure(client, session, w):
    m = survey(session, w)
    ok(client.put(f"{API}/measures/{m.id}/reference", json={"points": SERIES},
                  headers=w.h["programme"]))
    site_values(session, w, m, [6.2, 6.5, 6.8], ["worse", None, "about_same"])
    sign_in(client, w.lead)
    assert client.get("/programme/survey-measures").status_code == 403
    sign_in(client, w.programme)
    page = client.get("/programme/survey-measures")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Felt involved in agreeing their care" in text
    assert "About the same as expected" in text and "7.1" in text and "6.8" in text
    assert "No values yet" in text  # site B has none


@time_machine.travel(NOW, tick=False)
def test_the_site_report_reads_survey_measures_against_the_national_value(client, session, w):
    m = survey(session, w)
    ok(client.put(f"{API}/measures/{m.id}/reference", json={"points": SERIES},
                  headers=w.h["programme"]))
    site_values(session, w, m, [6.2, 6.5, 6.8], ["worse", None, "about_same"])
    sign_in(client, w.lead)
    page = client.get(f"/sites/{w.site_a.id}/report")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Service users’ experience against the national survey" in text
    assert "In 2025 the trust scored 6.8 against a national 7.1" in text


@time_machine.travel(NOW, tick=False)
def test_the_values_grid_keeps_and_changes_the_band(client, session, w):
    m = survey(session, w)
    site_values(session, w, m, [6.2, 6.5, 6.8], ["worse", None, "about_same"])
    sign_in(client, w.member)
    url = f"/sites/{w.site_a.id}/measures/{m.id}/data"
    page = client.get(url)
    assert page.status_code == 200 and 'name="band_2025-01-01"' in page.text
    fields = form_fields(page.text, url)
    fields["band_2024-01-01"] = "better"
    assert client.post(url, data=fields).status_code == 200
    assert [p.band for p in measure_data.list_points(session, site=w.site_a, measure=m)] == [
        "worse", "better", "about_same"]
    fields["band_2023-01-01"] = "best"
    assert client.post(url, data=fields).status_code == 422


@time_machine.travel(NOW, tick=False)
def test_the_exchange_document_carries_the_reference_series_and_bands(client, session, w):
    import json

    from imroc.db import write_session
    from imroc.models import Site, User
    from imroc.services.data_io.exchange import export_site
    from imroc.services.data_io.imports import run_import
    from tests.data_history import empty_database
    from tests.factories import api_token

    m = survey(session, w)
    ok(client.put(f"{API}/measures/{m.id}/reference", json={"points": SERIES},
                  headers=w.h["programme"]))
    site_values(session, w, m, [6.2, 6.5, 6.8], ["worse", None, "about_same"])
    before = ok(client.get(f"{API}/sites/{w.site_a.id}/exchange",
                           headers=api_token(client, w.programme)))
    doc = next(d for d in before["measures"] if d["name"] == m.name)
    assert doc["reference"][2] == {"period": "2025-01-01", "value": 7.1, "lower": 6.7,
                                   "upper": 7.5}
    assert [v["band"] for v in doc["values"]] == ["worse", None, "about_same"]
    empty_database()
    with write_session() as s:
        report = run_import(s, json.dumps(before).encode(), principal=None, dry_run=False,
                            max_bytes=10 * 1024 * 1024)
        assert report.problems == [] and report.imported
        s.add(User(email="admin2@example.org", name="Admin", password_hash="x",
                   global_role="admin"))
        s.commit()
    with write_session() as s:
        admin = s.exec(select(User).where(User.email == "admin2@example.org")).one()
        after = export_site(s, principal=load_principal(s, admin),
                            site=s.exec(select(Site)).one()).model_dump(mode="json")
    assert after["measures"] == before["measures"]


@time_machine.travel(NOW, tick=False)
def test_an_exchange_document_with_a_bad_reference_series_imports_nothing(client, session, w):
    import json

    from imroc.db import write_session
    from imroc.services.data_io.imports import run_import
    from tests.data_history import empty_database
    from tests.factories import api_token

    m = survey(session, w)
    ok(client.put(f"{API}/measures/{m.id}/reference", json={"points": SERIES},
                  headers=w.h["programme"]))
    site_values(session, w, m, [6.2, 6.5, 6.8], [None, None, None])
    doc = ok(client.get(f"{API}/sites/{w.site_a.id}/exchange",
                        headers=api_token(client, w.programme)))
    reference = next(d for d in doc["measures"] if d["name"] == m.name)["reference"]
    reference[0]["lower"], reference[0]["upper"] = 7.3, 6.5
    reference[1]["period"] = "2024-03-01"
    empty_database()
    with write_session() as s:
        report = run_import(s, json.dumps(doc).encode(), principal=None, dry_run=False,
                            max_bytes=10 * 1024 * 1024)
    assert not report.imported
    reasons = " ".join(p.message for p in report.problems)
    assert "must not be above the upper end" in reasons and "1 January" in reasons
    with write_session() as s:
        assert rows(s, "SELECT count(*) FROM reference_point")[0][0] == 0
