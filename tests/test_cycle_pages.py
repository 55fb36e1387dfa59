"""The core loop through the HTML pages, posting the forms a browser would: three cycles,
every perspective, ending with the history page and cycle 4's carried-over actions."""

import re

from sqlmodel import select

from imroc.models import Action, AuditEvent, Cycle
from tests.core_loop import advance_to, open_cycle, run_together
from tests.factories import World, a_year_ahead, make_member
from tests.pages import Browser, form_fields, text, typed_date

PERSPECTIVES = ["staff", "lived_experience", "carer", "partner"]


def action_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="nhsuk-card app-action" id="action-(\d+)"',
                                       page)]


def cycle_id_on(site_page: str, number: int) -> int:
    return int(re.search(rf'href="/cycles/(\d+)">Cycle {number}</a>', site_page).group(1))


def rate(person: Browser, cid: int, base: int) -> None:
    url = f"/cycles/{cid}/rate"
    person.submit(url, url, {f"level_{c}": str((base + c) % 4) for c in range(1, 11)}
                  | {f"comment_{c}": f"evidence for {c}" for c in range(1, 11)})


def agree_and_sign_off(lead: Browser, cid: int, level: int) -> None:
    url = f"/cycles/{cid}/consensus"
    lead.submit(url, url, {f"level_{c}": str(level) for c in range(1, 11)}
                | {f"rationale_{c}": f"agreed {c}" for c in range(1, 11)})
    lead.submit(url, f"{url}/sign-off")


def advance(lead: Browser, cid: int, *, status: int = 303):
    return lead.submit(f"/cycles/{cid}", f"/cycles/{cid}/advance", status=status)


def write_record(person: Browser, cid: int, **changes) -> None:
    person.submit(f"/cycles/{cid}", f"/cycles/{cid}/record", changes)


def edit_action(person: Browser, cid: int, action_id: int, *, htmx: bool = False, **changes):
    page = person.get(f"/cycles/{cid}/actions")
    return person.submit("", f"/actions/{action_id}", changes, page_html=page, htmx=htmx,
                         status=200 if htmx else 303)


def run_cycle(lead: Browser, raters: list[Browser], site_id: int, number: int,
              carried: list[str]) -> list[str]:
    """One whole cycle through the pages; returns the titles of its unfinished actions."""
    site_page = lead.get(f"/sites/{site_id}")
    if number == 1:
        assert "Open cycle 1" in text(site_page)
        r = lead.submit(f"/sites/{site_id}", f"/sites/{site_id}/cycles",
                        typed_date("started_on", "2024-01-08")
                        | typed_date("review_due_on", "2024-04-08"))
        cid = int(r.headers["location"].rsplit("/", 1)[1])
    else:  # closing the last cycle opened this one
        assert f"Cycle {number} is open" in text(site_page)
        assert "Open cycle" not in text(site_page)
        cid = cycle_id_on(site_page, number)
        plan = lead.get(f"/cycles/{cid}/actions")
        assert sorted(re.findall(r'nhsuk-card__heading nhsuk-heading-s">([^<]+)<', plan)) == \
            sorted(carried)
        assert text(plan).count(f"Carried over from cycle {number - 1}") == len(carried)
    page = text(lead.get(f"/cycles/{cid}"))
    assert "1. Assess Current stage" in page and "2. Plan To come" in page
    assert "The consensus scores have not been signed off yet." in page

    for i, rater in enumerate(raters):
        rate(rater, cid, number + i)
    refused = advance(lead, cid, status=409)
    assert "Assess is not complete" in text(refused.text) and "signed off" in text(refused.text)
    agree_and_sign_off(lead, cid, min(3, number))
    advance(lead, cid)
    assert "1. Assess Done 2. Plan Current stage" in text(lead.get(f"/cycles/{cid}"))

    suggestions = text(lead.get(f"/cycles/{cid}/priorities"))
    assert "One of the lowest agreed levels" in suggestions
    url = f"/cycles/{cid}/priorities"
    lead.submit(url, url, {"challenge_1": "7", "rank_1": "1", "target_level_1": "3",
                           "reason_1": "Matters most to people who use services",
                           "challenge_2": "3", "rank_2": "2", "target_level_2": "3",
                           "challenge_3": "5", "rank_3": "3", "target_level_3": "3"})
    url = f"/cycles/{cid}/actions"
    for challenge in ("7", "3", "5"):
        for step in ("first step", "second step"):
            raters[2].submit(url, url, {"challenge": challenge, "title": f"{step} on {challenge}",
                                        "owner": "Sam"} | typed_date("due_on", a_year_ahead()))
    write_record(raters[1], cid, aim="More co-produced care plans",
                 prediction="Half of plans co-produced", measures="Audit of 20 plans")
    advance(lead, cid)

    ids = action_ids(raters[3].get(url))
    assert len(ids) == 6 + len(carried)
    for n, action_id in enumerate(ids):
        status = ["done", "in_progress", "blocked", "dropped", "not_started", "done"][n % 6]
        response = edit_action(raters[3], cid, action_id, htmx=n % 2 == 0, status=status)
        if n % 2 == 0:  # the row alone comes back, saved
            assert "<html" not in response.text and f'id="action-{action_id}"' in response.text
    write_record(lead, cid, do_notes="We ran it.")
    advance(lead, cid)
    plan = lead.get(url)
    assert 'name="outcome"' in plan  # offered from the study stage on
    for action_id in ids:
        edit_action(lead, cid, action_id, outcome="adapt")
    write_record(lead, cid, study_notes="Fewer than predicted.")
    advance(lead, cid)
    write_record(lead, cid, act_notes="Adapt and retest.")
    page = lead.get(f"/cycles/{cid}")
    assert f"Close cycle {number} and open cycle {number + 1}" in text(page)
    advance(lead, cid)
    assert "6. Closed Current stage" in text(lead.get(f"/cycles/{cid}"))
    titles = re.findall(r'nhsuk-card__heading nhsuk-heading-s">([^<]+)<', plan)
    statuses = re.findall(r'<p>\s*<strong class="nhsuk-tag[^"]*">([^<]+)</strong>', plan)
    return [t for t, s in zip(titles, statuses, strict=True)
            if s in ("Not started", "In progress", "Blocked")]


def test_three_cycles_through_the_pages(browser, session):
    w = World(session)
    lead = browser(w.lead)
    raters = [lead] + [browser(make_member(session, site=w.site_a, perspective=p))
                       for p in PERSPECTIVES]
    site_id = w.site_a.id
    carried: list[str] = []
    for number in (1, 2, 3):
        carried = run_cycle(lead, raters, site_id, number, carried)

    cycles = session.exec(select(Cycle).where(Cycle.site_id == site_id)
                          .order_by(Cycle.number)).all()
    assert [(c.number, c.stage) for c in cycles] == [
        (1, "closed"), (2, "closed"), (3, "closed"), (4, "assess")]
    history = lead.get(f"/sites/{site_id}/history")
    words = text(history)
    for c in cycles[:3]:
        assert f'href="/cycles/{c.id}"' in history
    assert words.count("Closed") >= 3
    # challenge 1 went 1 -> 2 -> 3 after being rated each time; cycle 4 starts from 3
    row = re.search(r"1\. [^<]*</th>(.*?)</tr>", history, flags=re.DOTALL).group(1)
    assert text(row) == "Level 1 Level 2 Up Level 3 Up Level 3 Carried over To re-confirm"
    # cycle 4's action plan holds cycle 3's unfinished actions, each naming where it came from
    plan = lead.get(f"/cycles/{cycles[3].id}/actions")
    assert len(action_ids(plan)) == len(carried) > 0
    assert text(plan).count("Carried over from cycle 3") == len(carried)
    assert "Not a priority of this cycle" in text(plan)
    carried_rows = session.exec(select(Action).where(Action.cycle_id == cycles[3].id)).all()
    assert {session.get(Action, a.carried_from_id).cycle_id for a in carried_rows} == \
        {cycles[2].id}


# --- refusals and conflicts ---------------------------------------------------------------


def test_site_page_lists_cycles_and_opens_one(browser, w):
    lead = browser(w.lead)
    site = f"/sites/{w.site_a.id}"
    assert "This site has no cycles yet." in text(lead.get(site))
    r = lead.submit(site, f"{site}/cycles", typed_date("started_on", "2024-02-01"))
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    page = text(lead.get(site))
    assert "Cycle 1 Stage Assess Started 1 February 2024 Review due 2 May 2024" in page
    assert "Cycle 1 is open" in page
    member = text(browser(w.member).get(site))
    assert "Cycle 1" in member and "Open cycle" not in member
    # a second lead's stale page: the open is refused with the reason
    refused = lead.post(f"{site}/cycles", {"started_on": "2024-03-01"}, status=409)
    assert "already has an open cycle" in text(refused.text)
    assert f'href="/cycles/{cid}"' in refused.text
    assert browser(w.member).post(f"{site}/cycles", {}, status=403)


def test_open_cycle_with_bad_dates_keeps_what_was_typed(browser, w):
    lead = browser(w.lead)
    site = f"/sites/{w.site_a.id}"
    r = lead.submit(site, f"{site}/cycles", typed_date("started_on", "2024-05-01")
                    | {"review_due_on-day": "01", "review_due_on-month": "4",
                       "review_due_on-year": "2024"}, status=422)
    assert "The review date must be on or after the start date" in text(r.text)
    shown = form_fields(r.text, f"{site}/cycles")
    assert (shown["review_due_on-day"], shown["review_due_on-month"]) == ("01", "4")
    assert 'href="#review-due-on-day"' in r.text
    r = lead.submit(site, f"{site}/cycles", {"started_on-day": "31", "started_on-month": "2",
                                             "started_on-year": "2024"}, status=422)
    assert "Start date must be a real date" in text(r.text)
    assert form_fields(r.text, f"{site}/cycles")["started_on-day"] == "31"
    assert 'id="started-on-error"' in r.text


def test_stale_record_shows_my_text_beside_the_saved_text(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    lead, member = browser(w.lead), browser(w.member)
    url = f"/cycles/{cid}"
    mine = member.get(url)  # the member opens the page ...
    write_record(lead, cid, aim="Lead's aim", prediction="Lead's prediction")  # ... lead saves
    r = member.submit(url, f"{url}/record", {"aim": "Member's <b>aim</b>",
                                             "prediction": "Lead's prediction"},
                      page_html=mine, status=409)
    words = text(r.text)
    assert "Someone else changed this record" in words
    assert "Member's <b>aim</b>" in words and "Lead's aim" in words
    assert "<b>aim</b>" not in r.text  # escaped, never markup
    assert 'id="aim-saved"' in r.text and 'id="prediction-saved"' not in r.text
    # the form keeps the member's text with the current version: saving again keeps it
    member.submit("", f"{url}/record", page_html=r.text)
    assert session_aim(client, w, cid) == "Member's <b>aim</b>"


def session_aim(client, w, cid: int) -> str:
    return client.get(f"/api/v1/cycles/{cid}", headers=w.h["lead"]).json()["aim"]


def test_wrong_stage_advance_is_refused_with_the_reason(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "plan")
    lead = browser(w.lead)
    page = text(lead.get(f"/cycles/{cid}"))
    assert "Before this cycle can move to the Do stage: Choose at least one priority." in page
    assert "Move to the Do stage" not in page  # no button while something is missing
    r = lead.post(f"/cycles/{cid}/advance", {"stage": "plan"}, status=409)
    words = text(r.text)
    assert "Plan is not complete. Choose at least one priority." in words
    assert 'href="#advance"' in r.text
    # a second press of a button from a page showing an earlier stage changes nothing
    r = lead.post(f"/cycles/{cid}/advance", {"stage": "assess"}, status=409)
    assert "already moved on to the Plan stage" in text(r.text)


def test_member_cannot_advance(browser, w, client, session):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "do")
    member = browser(w.member)
    assert "Move to the" not in member.get(f"/cycles/{cid}")
    member.post(f"/cycles/{cid}/advance", {"stage": "do"}, status=403)
    assert session.get(Cycle, cid).stage == "do"
    assert browser(w.facilitator).post(f"/cycles/{cid}/advance", {}, status=403)


def test_another_sites_cycle_is_not_found(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "do")
    [action] = client.get(f"/api/v1/cycles/{cid}/actions", headers=w.h["lead"]).json()
    outsider = browser(w.member_b)
    for url in (f"/cycles/{cid}", f"/cycles/{cid}/priorities", f"/cycles/{cid}/actions",
                f"/sites/{w.site_a.id}/history", "/cycles/999999"):
        outsider.get(url, status=404)
    for url in (f"/cycles/{cid}/advance", f"/cycles/{cid}/record", f"/actions/{action['id']}",
                f"/actions/{action['id']}/delete", f"/cycles/{cid}/actions",
                f"/cycles/{cid}/priorities", f"/sites/{w.site_a.id}/cycles"):
        outsider.post(url, {"title": "x", "version": "1"}, status=404)


def test_more_priorities_than_allowed(browser, w, client, session):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "plan")
    lead = browser(w.lead)
    url = f"/cycles/{cid}/priorities"
    page = lead.get(url)
    assert 'name="challenge_3"' in page and 'name="challenge_4"' not in page  # three by default
    rows = {}
    for n, challenge in enumerate((2, 4, 6, 8), start=1):
        rows |= {f"challenge_{n}": str(challenge), f"rank_{n}": str(n),
                 f"target_level_{n}": "2", f"reason_{n}": f"reason {n}"}
    r = lead.submit(url, url, rows, status=422)
    assert "Choose at most 3 priorities" in text(r.text)
    assert 'href="#priorities"' in r.text
    fields = form_fields(r.text, url)
    assert fields["challenge_4"] == "8" and fields["reason_4"] == "reason 4"  # nothing lost
    assert client.get(f"/api/v1/cycles/{cid}/priorities",
                      headers=w.h["lead"]).json()["priorities"] == []
    # a target below the agreed level is named on its own row
    r = lead.submit(url, url, {"challenge_1": "2", "rank_1": "1", "target_level_1": "0"},
                    status=422)
    assert 'href="#target-level-1"' in r.text and "cannot be below" in text(r.text)
    before = session.exec(select(AuditEvent)).all()
    browser(w.member).post(url, {"challenge_1": "2", "rank_1": "1", "target_level_1": "2"},
                               status=403)
    assert len(session.exec(select(AuditEvent)).all()) == len(before)


def test_suggestions_say_why(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    for person, level in (("lead", 0), ("member", 3)):
        client.put(f"/api/v1/cycles/{cid}/ratings", headers=w.h[person], json={
            "ratings": [{"challenge": 4, "level": level, "comment": ""}]})
    advance_to(client, w.h["lead"], cid, "plan")
    words = text(browser(w.lead).get(f"/cycles/{cid}/priorities"))
    assert "Challenge 4:" in words and "People disagree: ratings range from 0 to 3" in words


def test_eight_saves_of_one_record_version_let_exactly_one_win(browser, w, client, session):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    lead = browser(w.lead)
    url = f"/cycles/{cid}"
    form = form_fields(lead.get(url), f"{url}/record")
    assert form["version"] == "1"

    def save(i: int, barrier) -> int:
        barrier.wait()
        return lead.client.post(f"{url}/record", data=form | {"aim": f"aim {i}"},
                                follow_redirects=False).status_code

    results = run_together(8, save)
    assert sorted(results) == [303] + [409] * 7, results
    saved = session.get(Cycle, cid)
    assert saved.version == 2 and saved.aim == f"aim {results.index(303)}"
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "cycle",
                                                   AuditEvent.action == "update")).all()
    assert len(events) == 1


def test_closing_warns_what_will_happen_and_says_what_happened(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "act", action_status="in_progress")
    assert client.patch(f"/api/v1/cycles/{cid}", headers=w.h["lead"],
                        json={"act_notes": "Adapt and retest."}).status_code == 200
    lead = browser(w.lead)
    page = lead.get(f"/cycles/{cid}")
    warning = text(page.split('id="close-warning"')[1].split("</div>")[0])
    assert "Closing cycle 1 cannot be undone" in warning
    assert "1 unfinished action will be carried into cycle 2: Co-produce care plans" in warning
    r = lead.submit(f"/cycles/{cid}", f"/cycles/{cid}/advance")
    assert r.headers["location"] == f"/cycles/{cid}?moved=true"
    shown = text(lead.get(r.headers["location"]))
    assert "Cycle 1 closed; cycle 2 is open" in shown and "Go to cycle 2" in shown


def test_moving_a_stage_and_saving_the_record_say_so(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "plan")
    lead = browser(w.lead)
    r = lead.submit(f"/cycles/{cid}", f"/cycles/{cid}/record", {"aim": "An aim"})
    assert r.headers["location"] == f"/cycles/{cid}?saved=true#pdsa-record"
    assert "The PDSA record has been saved." in text(lead.get(f"/cycles/{cid}?saved=true"))
    assert "The PDSA record has been saved." not in text(lead.get(f"/cycles/{cid}"))


def test_later_stages_of_the_record_are_folded_until_their_stage(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    lead = browser(w.lead)
    page = lead.get(f"/cycles/{cid}")
    folded = re.findall(r'<details class="nhsuk-details app-later-stage">.*?<h3 '
                        r'class="nhsuk-fieldset__heading">(\w+)</h3>', page, re.S)
    assert folded == ["Plan", "Do", "Study", "Act"]  # at Assess, every stage is still to come
    assert form_fields(page, f"/cycles/{cid}/record").keys() >= {"do_notes", "act_notes"}
    advance_to(client, w.h["lead"], cid, "do")
    page = lead.get(f"/cycles/{cid}")
    folded = re.findall(r'<details class="nhsuk-details app-later-stage">.*?<h3 '
                        r'class="nhsuk-fieldset__heading">(\w+)</h3>', page, re.S)
    assert folded == ["Study", "Act"]
