"""Dates on the pages are typed as day, month and year (the NHS date input): each form saves
the date those make, names a missing or impossible part by the field's label, and shows back
what was typed."""

import re
from datetime import date

import pytest
from sqlmodel import select

from imroc.models import Action, Cycle, Measure, Site
from imroc.models.site import Meeting
from imroc.validation import DATE_LABELS, TypedDate
from imroc.web.forms import combine, error_list
from tests.core_loop import API, advance_to, open_cycle
from tests.pages import Browser, form_fields, text, typed_date


@pytest.fixture
def plan(w, client):
    """Site A's cycle at the plan stage, challenge 3 its priority, with one action."""
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "plan")
    client.put(f"{API}/cycles/{cid}/priorities", headers=w.h["lead"], json={
        "priorities": [{"challenge": 3, "rank": 1, "target_level": 2, "reason": "lowest"}]})
    action = client.post(f"{API}/cycles/{cid}/actions", headers=w.h["lead"], json={
        "challenge": 3, "title": "Co-produce care plans", "due_on": "2024-06-30"}).json()
    return cid, action["id"]


def parts(name: str, day: str, month: str, year: str) -> dict[str, str]:
    return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}


def date_group(page: str, fid: str) -> str:
    """The HTML of one date input, from its form group to the end of its fieldset."""
    at = page.index(f'id="{fid}"')
    start = page.rindex('<div class="nhsuk-form-group', 0, page.rindex("<fieldset", 0, at))
    return page[start:page.index("</fieldset>", at)]


# --- the three parts make one date ---------------------------------------------------------

def test_day_month_and_year_make_the_iso_date():
    assert combine("14", "3", "2026") == "2026-03-14"
    assert combine("01", "02", "2024") == "2024-02-01"
    assert combine("29", "2", "2028") == "2028-02-29"
    assert combine("", "", "") is None


@pytest.mark.parametrize("typed, reason, at_fault", [
    (("14", "", "2026"), "date_incomplete", ("month",)),
    (("", "", "2026"), "date_incomplete", ("day", "month")),
    (("", "3", ""), "date_incomplete", ("day", "year")),
    (("31", "2", "2027"), "date_not_real", ("day",)),
    (("0", "3", "2026"), "date_not_real", ("day",)),
    (("14", "13", "2026"), "date_not_real", ("month",)),
    (("14", "3", "26"), "date_year_digits", ("year",)),
    (("14", "March", "2026"), "date_not_real", ("month",)),
    (("1st", "3", "2O26"), "date_not_real", ("day", "year")),
    (("١٤", "3", "2026"), "date_not_real", ("day",)),  # digits of another script
    (("9" * 5000, "3", "2026"), "date_not_real", ("day",)),
])
def test_parts_that_make_no_date_say_which(typed, reason, at_fault):
    got = combine(*typed)
    assert isinstance(got, TypedDate)
    assert (got.reason, got.parts) == (reason, at_fault)


def test_the_summary_links_to_the_day_of_a_date():
    assert error_list({"held_on": "x", "title": "y", "action-4-due-on": "z"}) == [
        {"text": "x", "href": "#held-on-day"}, {"text": "y", "href": "#title"},
        {"text": "z", "href": "#action-4-due-on-day"}]


# --- every form that takes a date -----------------------------------------------------------

def test_opening_a_cycle_takes_typed_dates(browser, w, session):
    lead = browser(w.lead)
    site = f"/sites/{w.site_a.id}"
    lead.submit(site, f"{site}/cycles", parts("started_on", "14", "3", "2024")
                | parts("review_due_on", "1", "07", "2024"))
    cycle = session.exec(select(Cycle).where(Cycle.site_id == w.site_a.id)).one()
    assert (cycle.started_on, cycle.review_due_on) == (date(2024, 3, 14), date(2024, 7, 1))


def test_adding_and_changing_an_action_takes_a_typed_date(browser, w, plan, session):
    cid, action_id = plan
    member = browser(w.member)
    url = f"/cycles/{cid}/actions"
    member.submit(url, url, {"challenge": "3", "title": "Train peer workers"}
                  | parts("due_on", "14", "3", "2026"))
    added = session.exec(select(Action).where(Action.title == "Train peer workers")).one()
    assert added.due_on == date(2026, 3, 14)
    # the inline edit, by htmx and as a plain form post
    member.submit(url, f"/actions/{action_id}", parts("due_on", "2", "9", "2025"), htmx=True,
                  status=200)
    session.expire_all()
    assert session.get(Action, action_id).due_on == date(2025, 9, 2)
    member.submit(url, f"/actions/{action_id}", parts("due_on", "", "", ""))
    session.expire_all()
    assert session.get(Action, action_id).due_on is None


def test_a_measure_starts_from_a_typed_date(client, w, session):
    lead = Browser(client, w.lead)
    page = f"/sites/{w.site_a.id}/measures/new"
    lead.submit(page, page, {"name": "Care plans", "kind": "count", "direction": "up",
                             "frequency": "monthly", "challenges": "3"}
                | parts("starts_on", "14", "3", "2024"))
    assert session.exec(select(Measure)).one().starts_on == date(2024, 3, 1)  # its month


def test_a_meeting_is_held_on_a_typed_date(client, w, session):
    facilitator = Browser(client, w.facilitator)
    page = f"/learning-sets/{w.set_a.id}"
    facilitator.submit(page, f"{page}/meetings", {"title": "Kick-off"}
                       | parts("held_on", "14", "3", "2026"))
    assert session.exec(select(Meeting)).one().held_on == date(2026, 3, 14)


def test_a_site_joins_on_a_typed_date_and_shows_it_to_change(client, w, session):
    programme = Browser(client, w.programme)
    r = programme.submit("/sites/new", "/sites", {"name": "Typed Site", "kind": "pilot"}
                         | parts("joined_on", "1", "4", "2012"))
    site = session.exec(select(Site).where(Site.name == "Typed Site")).one()
    assert r.headers["location"] == f"/sites/{site.id}" and site.joined_on == date(2012, 4, 1)
    shown = form_fields(programme.get(f"/sites/{site.id}/edit"), f"/sites/{site.id}/edit")
    assert shown | typed_date("joined_on", "2012-04-01") == shown


# --- what the pages show ---------------------------------------------------------------------

def assert_date_input(page: str, fid: str, legend: str) -> str:
    """A fieldset with the label as its legend and three numeric inputs; its HTML."""
    group = date_group(page, fid)
    assert re.search(rf'<legend class="nhsuk-fieldset__legend">\s*{legend}\s*</legend>', group)
    inputs = re.findall(r"<input [^>]*>", group)
    assert [re.search(r'id="([^"]+)"', i).group(1) for i in inputs] == \
        [f"{fid}-day", f"{fid}-month", f"{fid}-year"]
    assert all('inputmode="numeric"' in i for i in inputs), fid
    return group


def test_the_cycle_dates_are_day_month_and_year(browser, w):
    page = browser(w.lead).get(f"/sites/{w.site_a.id}")
    assert_date_input(page, "started-on", "Start date")
    assert_date_input(page, "review-due-on", "Review date")


def test_each_other_date_is_day_month_and_year(browser, w, plan):
    cid, action_id = plan
    lead = browser(w.lead)
    plan_page = lead.get(f"/cycles/{cid}/actions")
    assert_date_input(plan_page, "due-on", "Due date")
    saved = assert_date_input(plan_page, f"action-{action_id}-due-on", "Due date")
    assert re.findall(r'value="([^"]*)"', saved) == ["30", "6", "2024"]  # the saved date
    assert_date_input(lead.get(f"/sites/{w.site_a.id}/measures/new"), "starts-on",
                      "First period")
    assert_date_input(browser(w.facilitator).get(f"/learning-sets/{w.set_a.id}"), "held-on",
                      "Date of the meeting")
    assert_date_input(browser(w.programme).get("/sites/new"), "joined-on",
                      "Date joined the programme")


def test_the_labels_on_the_pages_are_the_labels_in_the_messages():
    assert DATE_LABELS["started_on"] == "start date"
    assert set(DATE_LABELS) == {"started_on", "review_due_on", "due_on", "held_on",
                                "joined_on", "starts_on", "delivered_on"}


# --- refusals, in the label's words -----------------------------------------------------------

def test_a_missing_part_is_named_and_marked(browser, w, session):
    lead = browser(w.lead)
    site = f"/sites/{w.site_a.id}"
    r = lead.submit(site, f"{site}/cycles", parts("started_on", "14", "", "2026"), status=422)
    words = text(r.text)
    assert "Start date must include a month" in words and "Started on" not in words
    assert 'href="#started-on-day"' in r.text
    group = date_group(r.text, "started-on")
    assert 'id="started-on-error"' in group
    marked = re.findall(r'<input class="([^"]*)" id="([^"]+)"', group)
    assert [fid for classes, fid in marked if "nhsuk-input--error" in classes] == \
        ["started-on-month"]
    shown = form_fields(r.text, f"{site}/cycles")
    assert (shown["started_on-day"], shown["started_on-month"], shown["started_on-year"]) == \
        ("14", "", "2026")
    assert session.exec(select(Cycle)).all() == []


def test_an_impossible_date_is_not_a_real_date(client, w, session):
    facilitator = Browser(client, w.facilitator)
    page = f"/learning-sets/{w.set_a.id}"
    r = facilitator.submit(page, f"{page}/meetings", {"title": "Typed title"}
                           | parts("held_on", "31", "2", "2027"), status=422)
    assert "Date of the meeting must be a real date" in text(r.text)
    shown = form_fields(r.text, f"{page}/meetings")
    assert [shown["held_on-day"], shown["held_on-month"], shown["held_on-year"],
            shown["title"]] == ["31", "2", "2027", "Typed title"]
    r = facilitator.submit(page, f"{page}/meetings", {"title": "T"}
                           | parts("held_on", "", "", ""), status=422)
    assert "Enter the date of the meeting" in text(r.text)
    assert session.exec(select(Meeting)).all() == []


def test_typed_text_is_shown_back_as_typed(browser, w, plan):
    cid, _ = plan
    member = browser(w.member)
    url = f"/cycles/{cid}/actions"
    r = member.submit(url, url, {"challenge": "3", "title": "T"}
                      | parts("due_on", "<b>", "3", "26"), status=422)
    assert "Due date must be a real date" in text(r.text)
    assert form_fields(r.text, url)["due_on-day"] == "<b>" and "<b>" not in r.text
    r = member.submit(url, url, {"challenge": "3", "title": "T"}
                      | parts("due_on", "14", "3", "26"), status=422)
    assert "Due date must include a year with 4 numbers" in text(r.text)


def test_a_far_date_names_the_label(client, w):
    programme = Browser(client, w.programme)
    r = programme.submit("/sites/new", "/sites", {"name": "Far", "kind": "pilot"}
                         | parts("joined_on", "1", "1", "1999"), status=422)
    assert "Date joined the programme must be between 1 January 2000 and" in text(r.text)
    assert 'href="#joined-on-day"' in r.text


def test_the_inline_edit_names_a_missing_part_in_its_row(browser, w, plan):
    cid, action_id = plan
    member = browser(w.member)
    url = f"/cycles/{cid}/actions"
    r = member.submit(url, f"/actions/{action_id}", parts("due_on", "", "3", ""), htmx=True,
                      status=422)
    assert "<html" not in r.text
    assert "Due date must include a day and year" in text(r.text)
    assert f'id="action-{action_id}-due-on-error"' in r.text
    r = member.submit(url, f"/actions/{action_id}", parts("due_on", "", "3", ""), status=422)
    assert f'href="#action-{action_id}-due-on-day"' in r.text


def test_the_api_still_takes_and_checks_iso_dates(client, w):
    r = client.post(f"{API}/sites/{w.site_a.id}/cycles", headers=w.h["lead"],
                    json={"started_on": "14/03/2026"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "started_on"
    r = client.post(f"{API}/sites/{w.site_a.id}/cycles", headers=w.h["lead"],
                    json={"started_on": {"day": 14, "month": 3, "year": 2026}})
    assert r.status_code == 422
    made = client.post(f"{API}/sites/{w.site_a.id}/cycles", headers=w.h["lead"],
                       json={"started_on": "2024-03-14"})
    assert made.status_code == 201 and made.json()["started_on"] == "2024-03-14"
