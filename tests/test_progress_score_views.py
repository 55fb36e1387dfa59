"""Progress scores beside the ImROC levels: the site's, learning set's and programme's
dashboards, presentation mode, the printed reports and the exports."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.core_loop import ok, open_cycle
from tests.pages import text


@pytest.fixture
def scored(client, w):
    """Site A's first cycle with the lead's 2.5 and the facilitator's 3.0."""
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    ok(client.put(f"/api/v1/cycles/{cid}/progress-scores/site", headers=w.h["lead"],
                  json={"score": 2.5, "comment": "=SUM(A1) tried <b>two</b> changes"}))
    ok(client.put(f"/api/v1/cycles/{cid}/progress-scores/facilitator",
                  headers=w.h["facilitator"], json={"score": 3}))
    return cid


BOTH = "2.5 – Changes tried 3.0 – Some improvement"


def test_the_site_dashboard_shows_each_cycles_scores(browser, w, scored):
    page = browser(w.member).get(f"/sites/{w.site_a.id}/dashboard")
    assert f"Cycle 1 {BOTH}" in text(page)
    assert "What the progress scores mean" in text(page)


def test_a_site_without_scores_says_so(browser, w, scored):
    page = browser(w.member_b).get(f"/sites/{w.site_b.id}/dashboard")
    assert "No progress scores have been given yet." in text(page)


def test_the_learning_set_dashboard_and_presentation_show_the_latest(browser, w, scored):
    fac = browser(w.facilitator)
    assert f"Site A 1 {BOTH}" in text(fac.get(f"/learning-sets/{w.set_a.id}/dashboard"))
    hidden = text(fac.get(f"/learning-sets/{w.set_a.id}/dashboard?anonymise=true"))
    assert f"Site A 1 {BOTH}" in hidden and "Site A" in hidden  # lettered: one site is "Site A"
    slides = fac.get(f"/learning-sets/{w.set_a.id}/present")
    assert "Progress scores" in text(slides) and BOTH in text(slides)
    assert "No progress scores" in text(browser(w.other_facilitator).get(
        f"/learning-sets/{w.set_b.id}/dashboard"))


def test_the_programme_view_shows_every_sites_latest(browser, w, scored):
    page = text(browser(w.programme).get("/programme"))
    assert f"Site A 1 {BOTH}" in page
    filtered = text(browser(w.programme).get(f"/programme?learning_set_id={w.set_b.id}"))
    assert BOTH not in filtered


def test_the_printed_reports_show_them(browser, w, scored):
    report = text(browser(w.lead).get(f"/sites/{w.site_a.id}/report"))
    assert "Site's progress score Facilitator's progress score" in report
    assert BOTH in report
    assert "0.5 Signed up;" in report
    set_report = text(browser(w.facilitator).get(f"/learning-sets/{w.set_a.id}/report"))
    assert f"Site A 1 {BOTH}" in set_report


def test_a_later_score_replaces_the_earlier_on_the_set_dashboard(browser, client, w, scored):
    ok(client.put(f"/api/v1/cycles/{scored}/progress-scores/site", headers=w.h["lead"],
                  json={"score": 4, "version": 1}))
    page = text(browser(w.facilitator).get(f"/learning-sets/{w.set_a.id}/dashboard"))
    assert "Site A 1 4.0 – Large improvement 3.0 – Some improvement" in page


def test_the_exports_carry_the_scores_with_the_cycles(browser, w, scored):
    lead = browser(w.lead)
    response = lead.client.get(f"/sites/{w.site_a.id}/export?format=csv&table=cycles")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-4:] == ["Site's progress score", "Site's progress comment",
                            "Facilitator's progress score", "Facilitator's progress comment"]
    assert rows[1][-4:] == ["2.5", "'=SUM(A1) tried <b>two</b> changes", "3.0", ""]
    book = load_workbook(io.BytesIO(lead.client.get(
        f"/sites/{w.site_a.id}/export?format=xlsx").content))
    sheet = book["Cycles"]
    header = [c.value for c in sheet[1]]
    values = [c.value for c in sheet[2]]
    assert values[header.index("Site's progress score")] == 2.5
    assert values[header.index("Facilitator's progress score")] == 3


def test_the_escaping_of_a_comment_holds_on_the_cycle_page(browser, w, scored):
    page = browser(w.member).get(f"/cycles/{scored}")
    assert "<b>two</b>" not in page and "&lt;b&gt;two&lt;/b&gt;" in page
