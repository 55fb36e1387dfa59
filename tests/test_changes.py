"""Changes that worked, on the pages: sharing from a closed cycle (and who may, and when),
who sees a change, a site's name hidden when its lead asks, searching the library, "Try this
here" and the trail of where a change spread, markup kept inert, and the CSRF check."""

import re

from sqlmodel import select

from imroc.models import Action, AuditEvent, Cycle, SharedChange
from tests.change_factories import judged_action, ready_cycle, shared
from tests.checks import counts, error_beside, live_tags, submit
from tests.factories import make_member, make_site, sign_in
from tests.pages import text


def _site_c(session, world):
    """A second site in learning set A (a demonstration site) with its own lead."""
    site = make_site(session, name="Site C", learning_set=world.set_a, kind="demonstration")
    return site, make_member(session, site=site, role="site_lead")


# --- sharing --------------------------------------------------------------------------------

def test_the_lead_shares_an_adopted_change_from_the_closed_cycle_page(client, session, world):
    action = judged_action(session, site=world.site_a)
    sign_in(client, world.lead)
    page = client.get(f"/cycles/{action.cycle_id}").text
    assert "Share what worked" in page and "Not shared." in page
    done = submit(client, f"/cycles/{action.cycle_id}", f"/actions/{action.id}/share",
                  {"scope": "learning_set", "version": ""})
    assert done.status_code == 303, done.text
    change = session.exec(select(SharedChange)).one()
    assert done.headers["location"] == f"/changes/{change.id}?shared=1"
    assert (change.scope, change.anonymised, change.outcome, change.challenge) == (
        "learning_set", False, "adopt", 3)
    assert change.learning_set_id == world.set_a.id and change.site_id == world.site_a.id
    assert change.what_was_done == "Two peer workers joined the morning ward round."
    assert change.prediction == "A third more people feel listened to"
    assert change.result == "Half as many complaints"
    shown = client.get(done.headers["location"]).text
    assert "The change is shared with your learning set" in shown
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "shared_change")).one()
    assert (event.action, event.site_id, event.actor_id) == ("share", world.site_a.id,
                                                              world.lead.id)
    again = client.get(f"/cycles/{action.cycle_id}").text
    assert "Shared with your learning set" in again


def test_sharing_is_refused_before_closing_for_abandoned_changes_and_for_others(
        client, session, world):
    open_one = judged_action(session, site=world.site_a, stage="act")
    sign_in(client, world.lead)
    early = submit(client, f"/actions/{open_one.id}/share", f"/actions/{open_one.id}/share",
                   {"scope": "programme"})
    assert early.status_code == 409 and "once their cycle is closed" in early.text
    assert "Changes are shared once their cycle is closed" in client.get(
        f"/actions/{open_one.id}/share").text
    session.get(Cycle, open_one.cycle_id).stage = "closed"
    session.commit()
    abandoned = judged_action(session, site=world.site_a, outcome="abandon")
    refused = submit(client, "/", f"/actions/{abandoned.id}/share", {"scope": "programme"})
    assert refused.status_code == 409 and "This one was abandoned" in text(refused.text)
    closed = judged_action(session, site=world.site_a)
    no_scope = submit(client, "/", f"/actions/{closed.id}/share", {})
    assert no_scope.status_code == 422
    assert "Select who to share the change with" in error_beside(no_scope.text, "scope")
    sign_in(client, world.member)  # a member of the steering group, not its lead
    assert client.get(f"/actions/{closed.id}/share").status_code == 403
    assert submit(client, "/", f"/actions/{closed.id}/share",
                  {"scope": "programme"}).status_code == 403
    sign_in(client, world.member_b)  # another site's person
    assert client.get(f"/actions/{closed.id}/share").status_code == 404
    assert submit(client, "/", f"/actions/{closed.id}/share",
                  {"scope": "programme"}).status_code == 404
    assert counts((SharedChange,)) == {"shared_change": 0}


def test_a_site_outside_any_learning_set_shares_with_the_programme_only(client, session, world):
    alone = make_site(session, name="Site Alone")
    lead = make_member(session, site=alone, role="site_lead")
    action = judged_action(session, site=alone)
    sign_in(client, lead)
    page = client.get(f"/actions/{action.id}/share").text
    assert 'value="learning_set"' not in page
    refused = submit(client, "/", f"/actions/{action.id}/share", {"scope": "learning_set"})
    assert refused.status_code == 422 and "did not run in a learning set" in text(refused.text)
    assert submit(client, "/", f"/actions/{action.id}/share",
                  {"scope": "programme"}).status_code == 303


def test_sharing_again_changes_the_scope_and_a_stale_page_is_refused(client, session, world):
    change = shared(session, lead=world.lead, site=world.site_a)
    sign_in(client, world.lead)
    url = f"/actions/{change.action_id}/share"
    stale = {"scope": "programme", "anonymised": "yes", "version": str(change.version)}
    assert submit(client, url, url, stale).status_code == 303
    session.refresh(change)
    assert (change.scope, change.anonymised, change.version) == ("programme", True, 2)
    refused = submit(client, url, url, {**stale, "scope": "learning_set"})
    assert refused.status_code == 409 and "Someone else changed how this change is shared" in \
        text(refused.text)
    session.refresh(change)
    assert change.scope == "programme"


def test_withdrawing_takes_a_change_out_of_the_library(client, session, world):
    site_c, lead_c = _site_c(session, world)
    change = shared(session, lead=world.lead, site=world.site_a)
    cycle = ready_cycle(session, site=site_c)
    sign_in(client, lead_c)
    assert submit(client, f"/changes/{change.id}", f"/changes/{change.id}/adopt",
                  {"cycle_id": str(cycle.id)}).status_code == 303
    sign_in(client, world.lead)
    url = f"/actions/{change.action_id}/share"
    gone = submit(client, url, f"/changes/{change.id}/withdraw", {"version": str(change.version)})
    assert gone.status_code == 303
    assert gone.headers["location"] == f"/cycles/{change.cycle_id}#shared-changes"
    assert "Peer workers join ward rounds" not in client.get("/changes").text
    own = client.get(f"/changes/{change.id}")
    assert own.status_code == 200 and "No longer shared" in own.text
    sign_in(client, lead_c)
    assert client.get(f"/changes/{change.id}").status_code == 404
    plan = text(client.get(f"/cycles/{cycle.id}/actions").text)
    assert "a change that is no longer shared" in plan
    sign_in(client, world.lead)
    again = submit(client, url, url, {"scope": "learning_set", "version": "2"})
    assert again.status_code == 303
    sign_in(client, lead_c)
    assert client.get(f"/changes/{change.id}").status_code == 200


# --- who sees a change ----------------------------------------------------------------------

def test_a_learning_set_change_is_seen_in_its_set_only(client, session, world):
    _site_c(session, world)
    change = shared(session, lead=world.lead, site=world.site_a)
    for who in ("member", "lead", "facilitator", "programme", "admin"):
        sign_in(client, world.by_role(who))
        assert "Peer workers join ward rounds" in client.get("/changes").text, who
        assert client.get(f"/changes/{change.id}").status_code == 200, who
    for who in ("member_b", "other_facilitator", "outsider"):
        sign_in(client, world.by_role(who))
        listing = client.get("/changes")
        assert listing.status_code == 200 and "Peer workers" not in listing.text, who
        assert client.get(f"/changes/{change.id}").status_code == 404, who


def test_a_programme_change_is_seen_by_everyone_with_a_role(client, session, world):
    change = shared(session, lead=world.lead, site=world.site_a, scope="programme")
    for who in ("member_b", "other_facilitator"):
        sign_in(client, world.by_role(who))
        assert "Peer workers join ward rounds" in client.get("/changes").text
        assert client.get(f"/changes/{change.id}").status_code == 200
    sign_in(client, world.outsider)  # signed in, but given no role yet
    assert "Peer workers" not in client.get("/changes").text
    assert client.get(f"/changes/{change.id}").status_code == 404


def test_a_hidden_name_never_reaches_anyone_outside_the_site(client, session, world):
    site_c, lead_c = _site_c(session, world)
    change = shared(session, lead=world.lead, site=world.site_a, scope="programme",
                    anonymised=True)
    # The sharing site tries it again in a later cycle, and Site C tries it too.
    for site, lead in ((world.site_a, world.lead), (site_c, lead_c)):
        cycle = ready_cycle(session, site=site)
        sign_in(client, lead)
        assert submit(client, f"/changes/{change.id}", f"/changes/{change.id}/adopt",
                      {"cycle_id": str(cycle.id)}).status_code == 303
    sign_in(client, world.member)
    thread = submit(client, f"/discussion?change_id={change.id}", "/discussion",
                    {"title": "How did it go?", "text": "Tell us more", "change_id": str(change.id)})
    assert thread.status_code == 303
    secrets = ("Site A", world.lead.name, world.member.name, "Example NHS Trust")
    assert "This thread is about" in client.get(thread.headers["location"]).text
    for who in ("member_b", "facilitator", "other_facilitator", "programme"):
        sign_in(client, world.by_role(who))
        pages = [client.get("/changes").text, client.get(f"/changes/{change.id}").text,
                 client.get("/changes?q=peer").text, client.get(thread.headers["location"]).text]
        for page in pages:
            # The thread names its author, as every thread does: that is theirs to choose.
            found = [s for s in secrets if s in page and s != world.member.name]
            assert not found, (who, found)
            assert "A pilot site in Set A" in page or "a pilot site in Set A" in page, who
        trail = text(pages[1])
        assert "The site that shared it, in a later cycle" in trail
    sign_in(client, world.member)  # the sharing site's own people see it is theirs
    own = text(client.get(f"/changes/{change.id}").text)
    assert "Site A (your site; others do not see its name)" in own


# --- the library --------------------------------------------------------------------------

def test_the_library_is_searched_by_challenge_kind_outcome_and_words(client, session, world):
    site_c, lead_c = _site_c(session, world)
    shared(session, lead=world.lead, site=world.site_a, title="Peer workers join ward rounds")
    shared(session, lead=world.lead, site=world.site_a, title="Recovery college course",
           challenge=5, outcome="adapt", notes="A six-week course on 100% of wards")
    shared(session, lead=lead_c, site=site_c, title="Carers' welcome pack", challenge=3,
           notes="Written with the carers' group")
    sign_in(client, world.facilitator)

    def titles(query: str) -> set[str]:
        page = client.get(f"/changes{query}")
        assert page.status_code == 200, page.text
        return set(re.findall(r'class="nhsuk-card__link" href="/changes/\d+">([^<]+)<', page.text))

    every = {"Peer workers join ward rounds", "Recovery college course",
             "Carers&#39; welcome pack"}
    assert titles("") == every
    assert titles("?challenge=3") == every - {"Recovery college course"}
    assert titles("?outcome=adapt") == {"Recovery college course"}
    assert titles("?kind=demonstration") == {"Carers&#39; welcome pack"}
    assert titles("?kind=pilot&kind=demonstration&outcome=adopt") == every - {
        "Recovery college course"}
    assert titles("?q=WARD") == {"Peer workers join ward rounds", "Recovery college course"}
    assert titles("?q=100%25") == {"Recovery college course"}
    assert titles("?q=_") == set()  # a wildcard is searched for as itself
    bad = client.get("/changes?kind=castle&challenge=11")
    assert bad.status_code == 422
    assert "Select a challenge" in bad.text or "challenge must be" in bad.text.lower()
    assert 'href="#challenge"' in bad.text


def test_markup_in_a_shared_change_stays_inert(client, session, world):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    change = shared(session, lead=world.lead, site=world.site_a, title=evil[:200], notes=evil)
    sign_in(client, world.facilitator)
    for url in ("/changes", f"/changes/{change.id}", "/changes?q=script"):
        page = client.get(url).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert not [t for t, a in live_tags(page) if t == "img" and ("src", "x") in a], url
        assert "<script>alert(1)" not in page


def test_the_library_is_in_the_header_and_pages_through_long_results(client, session, world):
    for n in range(22):
        shared(session, lead=world.lead, site=world.site_a, title=f"Change number {n}")
    sign_in(client, world.member)
    first = client.get("/changes?outcome=adopt").text
    assert 'href="/changes"' in first and "22 changes found" in first
    assert "/changes?page=2&amp;outcome=adopt" in first
    second = client.get("/changes?page=2&outcome=adopt").text
    assert "Change number 0" in second and "Change number 21" not in second


# --- trying a change here -------------------------------------------------------------------

def test_try_this_here_adds_an_action_linked_to_its_origin(client, session, world):
    site_c, lead_c = _site_c(session, world)
    change = shared(session, lead=world.lead, site=world.site_a)
    cycle = ready_cycle(session, site=site_c)
    sign_in(client, lead_c)
    page = client.get(f"/changes/{change.id}").text
    assert "Cycle 1 of Site C (plan stage)" in page and "No other site has tried it yet" in page
    done = submit(client, f"/changes/{change.id}", f"/changes/{change.id}/adopt",
                  {"cycle_id": str(cycle.id)})
    assert done.status_code == 303
    action = session.exec(select(Action).where(Action.cycle_id == cycle.id)).one()
    assert done.headers["location"] == f"/cycles/{cycle.id}/actions#action-{action.id}"
    assert (action.origin_change_id, action.challenge, action.title, action.status) == (
        change.id, 3, "Peer workers join ward rounds", "not_started")
    plan = client.get(f"/cycles/{cycle.id}/actions").text
    assert f'Tried from: <a href="/changes/{change.id}">Peer workers join ward rounds</a>, ' \
           "shared by Site A" in plan
    trail = text(client.get(f"/changes/{change.id}").text)
    assert "Tried at 1 site" in trail and re.search(r"Site C ?, from", trail)
    twice = submit(client, f"/changes/{change.id}", f"/changes/{change.id}/adopt",
                   {"cycle_id": str(cycle.id)})
    assert twice.status_code == 409 and "already in the action plan" in text(twice.text)
    sign_in(client, world.programme)
    assert f'href="/cycles/{cycle.id}/actions">Site C</a>' in client.get(
        f"/changes/{change.id}").text


def test_a_site_a_viewer_may_not_see_is_named_by_kind_and_set(client, session, world):
    change = shared(session, lead=world.lead, site=world.site_a, scope="programme")
    lead_b = make_member(session, site=world.site_b, role="site_lead")
    cycle = ready_cycle(session, site=world.site_b)
    sign_in(client, lead_b)
    assert submit(client, f"/changes/{change.id}", f"/changes/{change.id}/adopt",
                  {"cycle_id": str(cycle.id)}).status_code == 303
    sign_in(client, world.member)  # site A's member cannot see Site B
    trail = client.get(f"/changes/{change.id}").text
    assert "Site B" not in trail and "A pilot site in Set B, from" in text(trail)


def test_trying_a_change_is_refused_with_a_reason(client, session, world):
    site_c, lead_c = _site_c(session, world)
    change = shared(session, lead=world.lead, site=world.site_a)
    sign_in(client, lead_c)
    assessing = ready_cycle(session, site=site_c, stage="assess")
    refused = submit(client, f"/changes/{change.id}", f"/changes/{change.id}/adopt",
                     {"cycle_id": str(assessing.id)})
    assert refused.status_code == 409 and "plan stage or later" in text(refused.text)
    assessing.stage = "closed"
    session.commit()
    other = ready_cycle(session, site=site_c, challenges=(5,))
    refused = submit(client, f"/changes/{change.id}", f"/changes/{change.id}/adopt",
                     {"cycle_id": str(other.id)})
    assert refused.status_code == 409
    assert "is not a priority of cycle 2" in error_beside(refused.text, "cycle_id")
    site_a_cycle = ready_cycle(session, site=world.site_a)
    elsewhere = submit(client, f"/changes/{change.id}", f"/changes/{change.id}/adopt",
                       {"cycle_id": str(site_a_cycle.id)})
    assert elsewhere.status_code == 422
    assert "Choose a cycle of a site whose steering group you are in" in text(elsewhere.text)
    sign_in(client, world.facilitator)  # sees Site C, but is not in its steering group
    assert submit(client, f"/changes/{change.id}", f"/changes/{change.id}/adopt",
                  {"cycle_id": str(other.id)}).status_code == 403
    assert counts((Action,))["action"] == 1  # the shared one only


def test_forms_without_their_csrf_token_are_refused(client, session, world):
    site_c, lead_c = _site_c(session, world)
    change = shared(session, lead=world.lead, site=world.site_a)
    cycle = ready_cycle(session, site=site_c)
    sign_in(client, lead_c)
    assert client.post(f"/changes/{change.id}/adopt", data={"cycle_id": str(cycle.id)},
                       follow_redirects=False).status_code == 403
    sign_in(client, world.lead)
    action = judged_action(session, site=world.site_a)
    assert client.post(f"/actions/{action.id}/share", data={"scope": "programme"},
                       follow_redirects=False).status_code == 403
    assert counts((SharedChange, Action)) == {"shared_change": 1, "action": 2}
