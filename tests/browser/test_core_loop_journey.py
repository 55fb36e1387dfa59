"""The core loop in a real browser, as the demo's first site would walk it (SPEC section 3).

The lead of site 1 opens a cycle from the site page; a staff member, a carer and a person
with lived experience (by keyboard alone) rate the ten challenges; the lead agrees the
consensus, signs it off and takes the cycle through plan, do, study and act to closed; the
next cycle then opens with the unfinished actions carried over and the consensus to
re-confirm. Every page state reached (forms after an htmx swap and after an error too) is
checked with axe and for console errors and CSP violations, and screenshotted.

The journey changes site 1 in the shared test server, so it starts from whatever it finds:
a fresh site (the demo) or a cycle still at its assess stage (a journey run before).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journey import (
    LEVELS,
    Journey,
    action_card,
    advance,
    agree,
    challenge,
    open_edit,
    rate_with_keyboard,
    rate_with_mouse,
    save_action,
    type_date,
    write_record,
)
from tests.factories import a_year_ahead

pytestmark = pytest.mark.browser

SITE = "Riverside Recovery Service"
EMAIL = "s01.{}@imroc.example"
# Levels given by each member for challenges 1-10: on challenge 1 the range is 2 (a flag)
# and on challenge 2 staff and lived experience differ (another flag).
RATINGS = {
    "staff": [1, 1, 0, 1, 2, 1, 1, 0, 1, 2],
    "carer": [2, 1, 1, 1, 2, 1, 2, 0, 1, 2],
    "lived": [3, 2, 0, 1, 2, 1, 1, 0, 1, 2],
}
AGREED = [2, 1, 0, 1, 2, 1, 1, 0, 1, 2]
PRIORITIES = [(1, 3), (3, 1), (8, 1)]  # (challenge, target level), ranked
# (title, priority challenge, status reached during "do", outcome at "study")
ACTIONS = [
    ("Ask people what matters to them at every review", 1, "Done", "Adopt"),
    ("Plan a recovery college prospectus with peer trainers", 3, "In progress", "Adapt"),
    ("Invite peer workers to the steering group", 8, "Not started", "Adapt"),
    ("Buy a recovery poster for each ward", 8, "Dropped", "Abandon"),
]
CARRIED = {"In progress", "Not started"}


def open_or_find_cycle(lead) -> int:
    """From the site page: open the next cycle, or go to the open one. Returns its number."""
    page = lead.page
    page.get_by_role("link", name="Sites", exact=True).click()
    page.get_by_role("link", name=SITE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SITE)
    lead.check("site")
    opener = page.get_by_role("button", name=re.compile(r"^Open cycle \d+$"))
    if opener.count():
        opener.click()
    else:
        page.get_by_role("link", name=re.compile(r"^go to cycle \d+$", re.IGNORECASE)).click()
    page.wait_for_url(re.compile(r"/cycles/\d+$"))
    number = int(page.get_by_role("heading", level=1).inner_text().split()[-1])
    stage = page.get_by_role("definition").first.inner_text()
    assert stage == "Assess", f"cycle {number} of {SITE} is at {stage}, not Assess: " \
        "the journey needs a fresh site or a cycle still at its assess stage"
    lead.check("cycle-opened")
    return number


def test_core_loop_from_assessment_to_the_next_cycle(new_page) -> None:
    j = Journey(new_page)
    lead = j.person(EMAIL.format("lead"), "lead")
    page = lead.page

    # 1. The lead opens the cycle from the site page.
    number = open_or_find_cycle(lead)
    cycle_url = page.url
    actions = [(f"{t} (cycle {number})", *rest) for t, *rest in ACTIONS]  # unique in the plan

    # 2. Members of three perspectives rate the ten challenges.
    staff = j.person(EMAIL.format("staff"), "staff")
    staff.page.goto(cycle_url)
    staff.page.get_by_role("link", name="Rate the ten challenges").click()
    staff.check("rating-form")
    rate_with_mouse(staff.page, RATINGS["staff"], "Seen in our team")
    # Each change is saved as a draft with htmx: the challenge's fieldset comes back.
    expect(staff.page.get_by_text("Your rating of challenge 10 has been saved as a draft.",
                                  exact=True)).to_be_visible()
    expect(staff.page.get_by_role("status")).to_contain_text("has been saved as a draft")
    staff.check("rating-form-after-htmx-save")
    staff.button("Save your ratings")
    expect(staff.page.get_by_text("10 of 10 rated")).to_be_visible()
    staff.check("ratings-saved")

    carer = j.person(EMAIL.format("carer"), "carer")
    carer.page.goto(cycle_url)
    carer.page.get_by_role("link", name="Rate the ten challenges").click()
    # A comment without a level is refused, and what was typed is kept.
    last = challenge(carer.page, 10)
    last.get_by_label("Comment or evidence (optional)").fill("Not sure yet.")
    carer.button("Save your ratings")
    summary = carer.page.get_by_role("alert")
    expect(summary).to_contain_text("Select a level for challenge 10")
    expect(last.get_by_label("Comment or evidence (optional)")).to_have_value("Not sure yet.")
    carer.check("rating-form-error", allow=(422,))
    rate_with_mouse(carer.page, RATINGS["carer"], "As a carer I have seen")
    carer.button("Save your ratings")
    expect(carer.page.get_by_text("10 of 10 rated")).to_be_visible()
    carer.check("ratings-saved")

    # The person with lived experience uses the keyboard alone.
    lived = j.person(EMAIL.format("lived"), "lived")
    lived.page.goto(cycle_url)
    lived.tab_to("el.textContent.trim() === 'Rate the ten challenges'")
    with lived.page.expect_navigation():
        lived.page.keyboard.press("Enter")
    rate_with_keyboard(lived, RATINGS["lived"], "From my own experience")
    expect(lived.page.get_by_text("10 of 10 rated")).to_be_visible()
    for n, level in enumerate(RATINGS["lived"], start=1):
        expect(challenge(lived.page, n).get_by_label(LEVELS[level], exact=True)).to_be_checked()
    lived.check("ratings-saved-by-keyboard")

    # 3. The lead opens the consensus: the perspectives, the flags; agrees levels, signs off.
    page.goto(cycle_url)
    page.get_by_role("link", name=re.compile(r"^Consensus")).click()
    voices = page.get_by_role("table", name=re.compile(r"^People who have rated"))
    for row in ("Staff 1", "Lived experience 1", "Carer 1", "Partner organisation 0"):
        expect(voices.get_by_role("row", name=row)).to_be_visible()
    first = page.get_by_role("region", name=re.compile(r"^1\. "))
    expect(first.get_by_text("People disagree (range 2 or more)")).to_be_visible()
    second = page.get_by_role("region", name=re.compile(r"^2\. "))
    expect(second.get_by_text("Staff and lived-experience views differ")).to_be_visible()
    lead.check("consensus")
    # A rationale without a level is refused; what was typed is kept.
    words = f"Agreed in cycle {number} after talking the ratings through"
    agree(page, AGREED[:9] + [None], words)
    lead.button("Save the agreed levels")
    expect(page.get_by_role("alert")).to_contain_text("Select a level for challenge 10")
    kept = page.get_by_role("group", name="The agreed level for challenge 1", exact=True)
    expect(kept.get_by_label(LEVELS[AGREED[0]], exact=True)).to_be_checked()
    expect(kept.get_by_role("textbox")).to_have_value(f"{words}, challenge 1.")
    lead.check("consensus-error", allow=(422,))
    agree(page, AGREED, words)
    lead.button("Save the agreed levels")
    expect(page.get_by_text("The agreed levels have been saved.")).to_be_visible()
    expect(first.get_by_role("definition").nth(1)).to_contain_text(LEVELS[AGREED[0]])
    lead.button("Sign off the consensus")
    expect(page.get_by_text(re.compile(r"The consensus was signed off on"))).to_be_visible()
    lead.check("consensus-signed-off")
    staff.page.reload()  # the member's ratings are now locked: shown, not changeable
    expect(staff.page.get_by_text("Your ratings can no longer change")).to_be_visible()
    expect(staff.page.get_by_text("Your ratings have been saved")).to_have_count(0)
    expect(challenge(staff.page, 1).get_by_label(LEVELS[RATINGS["staff"][0]])).to_be_disabled()
    staff.check("ratings-locked")
    page.get_by_role("link", name=f"Back to cycle {number}").click()
    advance(lead, "Plan")
    lead.check("plan")

    # Plan: priorities, an action under each, and the plan part of the PDSA record.
    page.get_by_role("link", name="Priorities and suggestions").click()
    expect(page.get_by_role("heading", name="Suggested priorities")).to_be_visible()
    lead.check("priorities-form")
    for rank, (number_, target) in enumerate(PRIORITIES, start=1):
        group = page.get_by_role("group", name=f"Priority {rank}", exact=True)
        group.get_by_label("Challenge", exact=True).select_option(str(number_))
        group.get_by_label("Target level").select_option(label=LEVELS[target])
        group.get_by_label("Why this challenge").fill("It matters most to the group.")
    lead.button("Save priorities")
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan")
    add = page.get_by_role("form", name="Add an action")
    lead.button("Add action", add)  # nothing filled in
    expect(page.get_by_role("alert")).to_be_visible()
    lead.check("action-plan-error", allow=(422,))
    for title, number_, _status, _outcome in actions:
        add.get_by_label("Priority", exact=True).select_option(str(number_))
        add.get_by_label("Title", exact=True).fill(title)
        add.get_by_label("Or the name of someone outside the steering group").fill("Recovery steering group")
        type_date(add, "Due date", a_year_ahead())
        lead.button("Add action", add)
        expect(action_card(page, title)).to_be_visible()
    # An action added by mistake is deleted after a confirmation page that says what it means.
    mistake = f"Added by mistake (cycle {number})"
    add.get_by_label("Priority", exact=True).select_option(str(PRIORITIES[0][0]))
    add.get_by_label("Title", exact=True).fill(mistake)
    lead.button("Add action", add)
    open_edit(page, mistake).get_by_role("button", name=re.compile("^Delete this action")).click()
    page.wait_for_url(re.compile(r"/actions/\d+/delete"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(mistake)
    expect(page.get_by_text("This cannot be undone")).to_be_visible()
    lead.check("delete-action-question")
    lead.button("Yes, delete this action")
    expect(page.get_by_text("The action was deleted")).to_be_visible()
    expect(action_card(page, mistake)).to_have_count(0)
    lead.check("action-plan")
    page.get_by_role("link", name=f"Cycle {number}", exact=True).click()
    write_record(lead, "Plan", {
        "Aim": "Every review starts from what matters to the person.",
        "Prediction": "Half the people reviewed will say they set their own goals.",
        "Measures": "A monthly audit of 20 care plans; a short survey after each review.",
        "Plan": "Team leads brief staff in March; the audit runs from April.",
    })
    lead.check("plan-record-saved")
    advance(lead, "Do")
    lead.check("do")

    # Do: members update actions inline (htmx); a stale save is caught and shown back.
    page.get_by_role("link", name=re.compile(r"^Action plan")).click()
    stale_title = actions[1][0]
    card = open_edit(page, stale_title)
    card.get_by_label("Notes").fill("The first draft is with the peer trainers.")
    staff.page.goto(page.url)
    other = open_edit(staff.page, stale_title)
    other.get_by_label("Status").select_option(label="In progress")
    save_action(staff, stale_title)
    staff.check("action-saved-by-htmx")
    card = save_action(lead, stale_title, status=409)
    expect(card.get_by_role("table", name=re.compile(r"^Your changes"))).to_contain_text(
        "In progress")
    lead.check("action-stale-save", allow=(409,))
    card.get_by_label("Status").select_option(label="In progress")  # keep their status too
    save_action(lead, stale_title)
    lead.check("action-saved-again")
    for title, _number, status, _outcome in actions:
        if status not in CARRIED:
            open_edit(page, title).get_by_label("Status").select_option(label=status)
            save_action(lead, title)
            expect(action_card(page, title)).to_contain_text(status)
    # The count at the top of the plan follows the saves.
    expect(page.get_by_text(re.compile(r"^\d+ actions: "))).to_contain_text("1 done")
    lead.check("actions-updated")
    page.get_by_role("link", name=f"Cycle {number}", exact=True).click()
    write_record(lead, "Do", {"What happened": "Two teams started; one waited for training."})
    advance(lead, "Study")
    lead.check("study")

    # Study: an outcome for every action, and what was learned.
    page.get_by_role("link", name=re.compile(r"^Action plan")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan")
    expect(page.get_by_role("article").first).to_be_visible()
    outcomes = {title: outcome for title, _n, _s, outcome in actions}
    for heading in page.get_by_role("article").get_by_role("heading").all_inner_texts():
        card = open_edit(page, heading)
        card.get_by_label("Outcome").select_option(label=outcomes.get(heading, "Adapt"))
        save_action(lead, heading)
    lead.check("study-outcomes")
    page.get_by_role("link", name=f"Cycle {number}", exact=True).click()
    write_record(lead, "Study", {"What you learned": "Goals set by people last longer."})
    advance(lead, "Act")

    # Act: the decision, then close the cycle (which opens the next).
    write_record(lead, "Act", {"Decision and next steps": "Adopt the reviews everywhere."})
    lead.check("act")
    lead.button(f"Close cycle {number} and open cycle {number + 1}")
    expect(page.get_by_text("This cycle is closed.")).to_be_visible()
    lead.check("closed")

    # 4. The next cycle: open at assess, unfinished actions carried, consensus to re-confirm.
    page.get_by_role("link", name=f"Cycle {number + 1}", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cycle {number + 1}")
    expect(page.get_by_role("definition").first).to_have_text("Assess")
    lead.check("next-cycle")
    page.get_by_role("link", name=re.compile(r"^Action plan")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action plan")
    carried = page.get_by_role("article").filter(has_text=f"Carried over from cycle {number},")
    expect(carried.first).to_be_visible()  # all_inner_texts() does not wait for the page
    titles = set(carried.get_by_role("heading").all_inner_texts())
    assert {t for t, _n, s, _o in actions if s in CARRIED} <= titles, titles
    assert not {t for t, _n, s, _o in actions if s not in CARRIED} & titles, titles
    lead.check("next-cycle-actions")
    page.get_by_role("link", name=f"Cycle {number + 1}", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^Consensus")).click()
    expect(page.get_by_text("10 of the levels were carried over")).to_be_visible()
    expect(page.get_by_text("To re-confirm", exact=True)).to_have_count(10)
    lead.check("next-cycle-consensus")
    j.assert_clean()
