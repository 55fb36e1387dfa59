"""The action plan page: grouped under priorities, edited inline with htmx or as a plain form,
stale edits shown back to the person, overdue actions marked in words."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from imroc import clock
from imroc.models import Action, AuditEvent
from imroc.templating import uk_date
from tests.core_loop import advance_to, open_cycle
from tests.factories import a_year_ahead
from tests.pages import form_fields, text, typed_date


@pytest.fixture
def plan(w, client):
    """Site A's cycle at the plan stage: priority challenge 3 with one action."""
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "plan")
    client.put(f"/api/v1/cycles/{cid}/priorities", headers=w.h["lead"], json={
        "priorities": [{"challenge": 3, "rank": 1, "target_level": 2, "reason": "lowest"},
                       {"challenge": 6, "rank": 2, "target_level": 2, "reason": "spread"}]})
    action = client.post(f"/api/v1/cycles/{cid}/actions", headers=w.h["lead"], json={
        "challenge": 3, "title": "Co-produce care plans", "owner": "Sam",
        "due_on": a_year_ahead().isoformat()}).json()
    return cid, action["id"]


def test_actions_grouped_under_their_priority(browser, w, plan):
    cid, _ = plan
    page = browser(w.member).get(f"/cycles/{cid}/actions")
    words = text(page)
    first, second = words.index("Priority 1: challenge 3"), words.index("Priority 2: challenge 6")
    assert first < words.index("Co-produce care plans") < second
    assert "No actions under this priority yet." in words[second:]
    assert f"Owner Sam Due {uk_date(a_year_ahead())}" in words
    assert 'name="outcome"' not in page  # outcomes only from the study stage on


def test_add_action_through_the_form(browser, w, plan, session):
    cid, _ = plan
    member = browser(w.member)
    url = f"/cycles/{cid}/actions"
    r = member.submit(url, url, {"challenge": "6", "title": "Peer worker <script>x</script>",
                                 "owner": "", "notes": "Line one\nLine two"}
                      | typed_date("due_on", ""))
    new = session.exec(select(Action).where(Action.challenge == 6)).one()
    assert r.headers["location"] == f"{url}#action-{new.id}"
    assert (new.owner, new.due_on, new.status, new.notes) == ("", None, "not_started",
                                                              "Line one\nLine two")
    page = member.get(url)
    assert "<script>x</script>" not in page and "Peer worker &lt;script&gt;" in page
    # a blank title is refused beside the field, keeping what was typed
    r = member.submit(url, url, {"challenge": "6", "title": "", "owner": "Kim",
                                 "due_on-day": "soon", "due_on-month": "3",
                                 "due_on-year": "2030"}, status=422)
    assert 'href="#title"' in r.text and 'href="#due-on-day"' in r.text
    assert "Due date must be a real date" in text(r.text)
    assert form_fields(r.text, url)["due_on-day"] == "soon"
    assert form_fields(r.text, url)["owner"] == "Kim"
    # not one of this cycle's priorities
    r = member.submit(url, url, {"challenge": "9", "title": "Elsewhere"}, status=422)
    assert "Choose one of this cycle's priorities" in text(r.text)


def _two_people_edit(browser, w, cid, action_id, *, htmx: bool):
    """The member opens the plan; the lead saves a change; the member saves theirs."""
    url = f"/cycles/{cid}/actions"
    lead, member = browser(w.lead), browser(w.member)
    stale = member.get(url)
    lead.submit(url, f"/actions/{action_id}", {"title": "Lead's title", "owner": "Lee"})
    return member, member.submit(url, f"/actions/{action_id}", {
        "title": "Member's <i>title</i>", "notes": "My careful notes"}, page_html=stale,
        htmx=htmx, status=409)


def test_stale_edit_full_page_keeps_my_text(browser, w, plan, session):
    cid, action_id = plan
    member, r = _two_people_edit(browser, w, cid, action_id, htmx=False)
    assert "<html" in r.text
    words = text(r.text)
    assert "Someone else changed this action" in words
    assert "Title Member's <i>title</i> Lead's title" in words  # mine beside the saved one
    assert "Notes My careful notes (empty)" in words
    # the member's page still said Sam: both are shown, and the member decides
    assert "Owner Sam Lee" in words
    assert "Due date" not in words.split("Saved now")[1].split("Your version is")[0]  # same
    assert "<i>title</i>" not in r.text
    fields = form_fields(r.text, f"/actions/{action_id}")
    assert fields["title"] == "Member's <i>title</i>" and fields["notes"] == "My careful notes"
    assert fields["version"] == "2"  # the current version: saving again keeps my text
    member.submit("", f"/actions/{action_id}", {"owner": "Lee"}, page_html=r.text)
    saved = session.get(Action, action_id)
    assert (saved.title, saved.owner, saved.notes, saved.version) == (
        "Member's <i>title</i>", "Lee", "My careful notes", 3)


def test_stale_edit_htmx_returns_the_row_with_my_text(browser, w, plan, session):
    cid, action_id = plan
    member, r = _two_people_edit(browser, w, cid, action_id, htmx=True)
    assert "<html" not in r.text and r.text.lstrip().startswith(
        f'<article class="nhsuk-card app-action" id="action-{action_id}"')
    assert "HX-Request" in r.headers["vary"]
    words = text(r.text)
    assert "Someone else changed this action" in words
    assert "Title Member's <i>title</i> Lead's title" in words
    fields = form_fields(r.text, f"/actions/{action_id}")
    assert fields["title"] == "Member's <i>title</i>" and fields["version"] == "2"
    again = member.submit("", f"/actions/{action_id}", page_html=r.text, htmx=True, status=200)
    assert "Saved." in text(again.text) and "Someone else" not in text(again.text)
    assert session.get(Action, action_id).title == "Member's <i>title</i>"


def test_invalid_edit_htmx_shows_the_error_in_the_row(browser, w, plan):
    cid, action_id = plan
    member = browser(w.member)
    url = f"/cycles/{cid}/actions"
    r = member.submit(url, f"/actions/{action_id}", {"title": "", "due_on-day": "31",
                                                     "due_on-month": "02"},
                      htmx=True, status=422)
    assert "<html" not in r.text
    assert f'id="action-{action_id}-title-error"' in r.text
    assert f'id="action-{action_id}-due-on-error"' in r.text
    assert "Due date must be a real date" in text(r.text)
    assert form_fields(r.text, f"/actions/{action_id}")["due_on-day"] == "31"
    r = member.submit(url, f"/actions/{action_id}", {"title": ""}, status=422)
    assert f'href="#action-{action_id}-title"' in r.text  # the summary links to the row's field


def test_overdue_actions_stand_out(browser, w, plan, client):
    cid, _ = plan
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    late = client.post(f"/api/v1/cycles/{cid}/actions", headers=w.h["lead"], json={
        "challenge": 6, "title": "Train peer workers", "due_on": yesterday}).json()
    done = client.post(f"/api/v1/cycles/{cid}/actions", headers=w.h["lead"], json={
        "challenge": 6, "title": "Already finished", "due_on": yesterday,
        "status": "done"}).json()
    words = text(browser(w.member).get(f"/cycles/{cid}/actions"))
    assert "1 overdue action" in words
    row = words[words.index("Train peer workers Not started"):]
    assert row.startswith("Train peer workers Not started Overdue Overdue: this action was due")
    finished = words[words.rindex("Already finished Done"):]
    assert "Overdue" not in finished.split("Owner")[0]
    assert words.count("Overdue:") == 1
    assert late["overdue"] is True and done["overdue"] is False


def test_outcome_offered_at_study_and_act(browser, w, plan, client):
    cid, action_id = plan
    member = browser(w.member)
    url = f"/cycles/{cid}/actions"
    # a crafted outcome before the study stage is refused with the reason
    r = member.submit(url, f"/actions/{action_id}", {"outcome": "adopt"}, status=409)
    assert "recorded at the study or act stage" in text(r.text)
    advance_to(client, w.h["lead"], cid, "study")
    page = member.get(url)
    assert 'name="outcome"' in page and "Outcome Not decided yet" in text(page)
    member.submit(url, f"/actions/{action_id}", {"outcome": "abandon"})
    assert "Outcome Abandon" in text(member.get(url))


def test_delete_action(browser, w, plan, client, session):
    cid, action_id = plan
    extra = client.post(f"/api/v1/cycles/{cid}/actions", headers=w.h["lead"], json={
        "challenge": 3, "title": "Added by mistake"}).json()["id"]
    member = browser(w.member)
    url = f"/cycles/{cid}/actions"
    page = member.get(url)
    assert f'href="/actions/{extra}/delete?version=1"' in page  # a link to the question
    asked = member.get(f"/actions/{extra}/delete?version=1")
    assert "Delete the action “Added by mistake”?" in asked and "This cannot be undone" in asked
    # Sent without the confirmation, a delete only asks the question again.
    r = member.submit(url, f"/actions/{extra}/delete", page_html=asked.replace(
        'name="confirm" value="yes"', 'name="not_confirmed" value="yes"'), status=200)
    assert "Yes, delete this action" in r.text
    assert session.get(Action, extra) is not None
    r = member.submit(url, f"/actions/{extra}/delete", htmx=True, status=200, page_html=asked)
    assert "was deleted" in text(r.text) and "<html" not in r.text
    r = member.submit(url, f"/actions/{action_id}/delete",
                      page_html=member.get(f"/actions/{action_id}/delete?version=1"))
    assert r.headers["location"] == f"{url}?deleted=1"
    assert "The action was deleted" in member.get(r.headers["location"])
    assert session.exec(select(Action).where(Action.cycle_id == cid)).all() == []
    deletes = session.exec(select(AuditEvent).where(AuditEvent.action == "delete")).all()
    assert {e.before["title"] for e in deletes} == {"Added by mistake", "Co-produce care plans"}


def test_a_delete_from_a_stale_page_deletes_nothing(browser, w, plan, client, session):
    cid, action_id = plan
    member = browser(w.member)
    url = f"/cycles/{cid}/actions"
    old_page = member.get(url)
    version = session.get(Action, action_id).version
    r = client.patch(f"/api/v1/actions/{action_id}", headers=w.h["lead"],
                     json={"notes": "Changed a moment ago", "version": version})
    assert r.status_code == 200
    link = re.search(rf'href="(/actions/{action_id}/delete\?version=\d+)"', old_page).group(1)
    r = member.submit(url, f"/actions/{action_id}/delete", page_html=member.get(link), status=409)
    assert "Someone else changed this action" in text(r.text)
    session.expire_all()
    assert session.get(Action, action_id).notes == "Changed a moment ago"
    member.post(f"/actions/{action_id}/delete", {"confirm": "yes"}, status=422)  # no version
    assert session.get(Action, action_id) is not None


def test_only_the_steering_group_edits_actions(browser, w, plan, session):
    cid, action_id = plan
    url = f"/cycles/{cid}/actions"
    for person in (w.facilitator, w.programme):
        someone = browser(person)
        page = someone.get(url)
        assert "Co-produce care plans" in page and f'action="/actions/{action_id}"' not in page
        assert "Add an action" not in page
        someone.post(f"/actions/{action_id}", {"title": "Changed", "version": "1"}, status=403)
        someone.post(f"/actions/{action_id}/delete", {}, status=403)
        someone.post(f"/actions/{action_id}/delete", {"confirm": "yes", "version": "1"},
                     status=403)
        someone.post(url, {"challenge": "3", "title": "New"}, status=403)
    assert session.get(Action, action_id).title == "Co-produce care plans"


def test_closed_cycle_actions_are_read_only(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "closed")
    member = browser(w.member)
    page = member.get(f"/cycles/{cid}/actions")
    assert "This cycle is closed" in text(page) and "Change this action" not in page
    [action] = client.get(f"/api/v1/cycles/{cid}/actions", headers=w.h["lead"]).json()
    r = member.post(f"/actions/{action['id']}", {"title": "Late", "version": "2"}, status=409)
    assert "This cycle is closed" in text(r.text)
    # carried into the next cycle, so it stays in the history: it cannot be deleted
    nxt = client.get(f"/api/v1/sites/{w.site_a.id}/cycles", headers=w.h["lead"]).json()[-1]
    [copy] = client.get(f"/api/v1/cycles/{nxt['id']}/actions", headers=w.h["lead"]).json()
    assert copy["carried_from_id"] == action["id"]
    page = member.get(f"/cycles/{nxt['id']}/actions")
    assert "Carried over from cycle 1" in text(page)
    assert f'href="/cycles/{cid}/actions#action-{action["id"]}"' in page


def test_the_priorities_form_names_every_problem_at_once(browser, w, client, session):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "plan")
    lead = browser(w.lead)
    url = f"/cycles/{cid}/priorities"
    r = lead.submit(url, url, {"challenge_1": "3", "rank_1": "1", "target_level_1": "",
                               "challenge_2": "5", "rank_2": "2", "target_level_2": "2",
                               "challenge_3": "5", "rank_3": "3", "target_level_3": "3"},
                    status=422)
    words = text(r.text)
    assert "Priority 1: select a target level" in words
    assert "Priority 3: challenge 5 is chosen twice" in words
    assert words.index("Priority 1: select") < words.index("Priority 3: challenge 5")
    assert form_fields(r.text, url)["challenge_3"] == "5"  # what was typed is kept
    assert session.exec(select(Action).where(Action.cycle_id == cid)).all() == []


def test_an_owner_is_chosen_from_the_steering_group_or_typed(browser, w, plan, session):
    cid, action_id = plan
    member = browser(w.member)
    url = f"/cycles/{cid}/actions"
    page = member.get(url)
    assert f'<option value="{w.lead.id}">{w.lead.name} (staff)</option>' in page
    member.submit(url, url, {"challenge": "3", "title": "Peer rota", "owner_id": str(w.lead.id),
                             "owner": ""})
    added = session.exec(select(Action).where(Action.title == "Peer rota")).one()
    assert (added.owner_id, added.owner) == (w.lead.id, w.lead.name)
    r = member.submit(url, url, {"challenge": "3", "title": "Not ours",
                                 "owner_id": str(w.member_b.id)}, status=422)
    assert "Choose a member of this site" in text(r.text)
    assert session.exec(select(Action).where(Action.title == "Not ours")).all() == []
    # Changing the owner to someone outside clears the member.
    r = member.submit(url, f"/actions/{added.id}", {"owner_id": "", "owner": "Jo, recovery college"})
    session.expire_all()
    changed = session.get(Action, added.id)
    assert (changed.owner_id, changed.owner) == (None, "Jo, recovery college")
