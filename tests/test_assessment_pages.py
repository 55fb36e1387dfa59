"""The assessment pages: own ratings (page and htmx fragment), consensus, facilitator view."""

import re

from sqlmodel import select

from imroc.models import AuditEvent, ConsensusScore, Cycle, FacilitatorRating, Feedback, Rating
from imroc.models.assessment import RatingsIn, ScoresIn
from imroc.models.cycle import CycleCreate
from imroc.services import access, assessments, cycles
from tests.factories import make_member, sign_in

SCALE = "must be one of 0, 1, 2, 3"



def _principal(session, user):
    return access.load_principal(session, user)


def _open(session, world) -> Cycle:
    return cycles.open_cycle(session, site=world.site_a, data=CycleCreate(),
                             principal=_principal(session, world.lead))


def _rate(session, world, user, levels: dict[int, int], cycle: Cycle, comment: str = "") -> None:
    assessments.set_ratings(session, cycle=cycle, site=world.site_a, principal=_principal(
        session, user), data=RatingsIn(ratings=[{"challenge": c, "level": lv, "comment": comment}
                                                for c, lv in levels.items()]))


def _agree_all(session, world, cycle: Cycle, level: int = 2) -> None:
    assessments.set_consensus(session, cycle=cycle, site=world.site_a,
                              principal=_principal(session, world.lead),
                              data=ScoresIn(scores=[{"challenge": c, "level": level}
                                                    for c in range(1, 11)]))


def _htmx(csrf: str) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": csrf}


def _mine(session, cycle, user) -> dict[int, Rating]:
    rows = session.exec(select(Rating).where(Rating.cycle_id == cycle.id,
                                             Rating.rater_id == user.id)).all()
    return {r.challenge: r for r in rows}


# --- own ratings -----------------------------------------------------------------------------

def test_rate_page_shows_each_challenge_with_its_level_descriptors(client, session, world):
    cycle = _open(session, world)
    sign_in(client, world.member)
    page = client.get(f"/cycles/{cycle.id}/rate")
    assert page.status_code == 200
    assert "HX-Request" in page.headers["vary"]
    html = page.text
    assert "<h1>Your ratings</h1>" in html and "0 of 10 rated" in html
    assert html.count('<fieldset class="nhsuk-fieldset"') == 10
    assert "Changing the nature of day-to-day interactions" in html  # a legend
    # The hint of a level is this challenge's descriptor, not the generic scale text.
    assert "Most conversations are about symptoms, medicines and services." in html
    assert 'id="level-1"' in html and 'name="level_1"' in html and 'id="comment-1"' in html
    assert 'name="csrf_token"' in html and f'hx-post="/cycles/{cycle.id}/rate"' in html
    assert "<script>" not in html.split("<body", 1)[1].split('<script src=')[0]


def test_rate_fragment_for_htmx(client, session, world):
    cycle = _open(session, world)
    sign_in(client, world.member)
    part = client.get(f"/cycles/{cycle.id}/rate?challenge=3", headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert "<html" not in part.text and "nhsuk-header" not in part.text
    assert 'id="rating-3"' in part.text and 'name="level_3"' in part.text
    assert 'name="level_4"' not in part.text
    # Without htmx the same URL is the whole page.
    assert "<html" in client.get(f"/cycles/{cycle.id}/rate?challenge=3").text


def test_rate_post_saves_a_draft_and_leaves_blank_challenges_unrated(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member)
    r = client.post(f"/cycles/{cycle.id}/rate", follow_redirects=False, data={
        "csrf_token": csrf, "level_1": "2", "comment_1": "Peer workers in two teams",
        "level_2": "0", "comment_2": "", "level_3": "", "comment_3": ""})
    assert r.status_code == 303 and r.headers["location"].endswith("/rate?saved=true")
    mine = _mine(session, cycle, world.member)
    assert {c: r.level for c, r in mine.items()} == {1: 2, 2: 0}
    assert mine[1].comment == "Peer workers in two teams"
    assert mine[1].perspective == "lived_experience"
    page = client.get(r.headers["location"]).text
    assert "2 of 10 rated" in page and "Your ratings have been saved" in page
    assert re.search(r'id="level-1-3"[^>]*checked', page)  # level 2 is the third radio
    assert "Peer workers in two teams</textarea>" in page


def test_htmx_saves_one_challenge_and_returns_its_fieldset(client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.member, {1: 1}, cycle)
    csrf = sign_in(client, world.member)
    r = client.post(f"/cycles/{cycle.id}/rate", headers=_htmx(csrf), data={
        "challenge": "4", "level_4": "3", "comment_4": "Across the whole trust"})
    assert r.status_code == 200, r.text
    assert "<html" not in r.text and 'id="rating-4"' in r.text
    assert "has been saved as a draft" in r.text
    assert 'hx-swap-oob="true"' in r.text and "2 of 10 rated" in r.text
    assert {c: x.level for c, x in _mine(session, cycle, world.member).items()} == {1: 1, 4: 3}


def test_rate_level_outside_the_scale_is_422_and_keeps_what_was_typed(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member)
    typed = "Our <b>evidence</b> & notes"
    r = client.post(f"/cycles/{cycle.id}/rate", data={
        "csrf_token": csrf, "level_1": "2", "level_4": "7", "comment_4": typed,
        "comment_5": ""})
    assert r.status_code == 422
    html = r.text
    assert "There is a problem" in html and "<title>Error:" in html
    assert f"Level for challenge 4 {SCALE}" in html and 'href="#level-4"' in html
    assert "Our &lt;b&gt;evidence&lt;/b&gt; &amp; notes</textarea>" in html
    assert re.search(r'id="level-1-3"[^>]*checked', html)  # the valid choice is kept too
    r = client.post(f"/cycles/{cycle.id}/rate", data={
        "csrf_token": csrf, "level_1": "2", "comment_5": "a comment without a level",
        "level_6": "high"})
    assert r.status_code == 422
    assert "Select a level for challenge 5" in r.text and 'href="#level-5"' in r.text
    assert "Select one of the levels for challenge 6" in r.text
    assert "a comment without a level</textarea>" in r.text
    assert _mine(session, cycle, world.member) == {}  # all or nothing


def test_htmx_422_returns_the_fieldset_with_its_error(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member)
    r = client.post(f"/cycles/{cycle.id}/rate", headers=_htmx(csrf), data={
        "challenge": "2", "level_2": "9", "comment_2": "kept"})
    assert r.status_code == 422
    assert "<html" not in r.text and f"Level for challenge 2 {SCALE}" in r.text
    assert "kept</textarea>" in r.text


def test_rate_after_sign_off_is_409_with_the_reason(client, session, world):
    cycle = _open(session, world)
    _agree_all(session, world, cycle)
    assessments.sign_off(session, cycle=cycle, site=world.site_a,
                         principal=_principal(session, world.lead))
    csrf = sign_in(client, world.member)
    page = client.get(f"/cycles/{cycle.id}/rate").text
    assert "Your ratings can no longer change" in page and "Save your ratings" not in page
    r = client.post(f"/cycles/{cycle.id}/rate", data={
        "csrf_token": csrf, "level_1": "1", "comment_1": "late thoughts"})
    assert r.status_code == 409
    assert "signed off, so the assessment is locked" in r.text
    assert "late thoughts</textarea>" in r.text
    r = client.post(f"/cycles/{cycle.id}/rate", headers=_htmx(csrf),
                    data={"challenge": "1", "level_1": "1"})
    assert r.status_code == 409 and "signed off" in r.text and "<html" not in r.text
    assert _mine(session, cycle, world.member) == {}


def test_cycle_two_shows_last_cycles_level_to_re_confirm(client, session, world):
    first = _open(session, world)
    _agree_all(session, world, first, level=2)
    first.stage = "closed"
    session.add(first)
    session.commit()
    second = _open(session, world)
    assert second.number == 2
    sign_in(client, world.member)
    assert "Agreed level last cycle: 2 – Development" in client.get(
        f"/cycles/{second.id}/rate").text
    csrf = sign_in(client, world.lead)
    page = client.get(f"/cycles/{second.id}/consensus").text
    assert page.count("To re-confirm</strong>") == 10
    # Saving with one challenge touched confirms only that one.
    r = client.post(f"/cycles/{second.id}/consensus", follow_redirects=False, data={
        "csrf_token": csrf, "level_1": "3", "rationale_1": "Now trust-wide"})
    assert r.status_code == 303, r.text
    scores = {s.challenge: s for s in session.exec(select(ConsensusScore).where(
        ConsensusScore.cycle_id == second.id)).all()}
    assert scores[1].level == 3 and not scores[1].to_reconfirm
    assert all(scores[c].to_reconfirm for c in range(2, 11))
    r = client.post(f"/cycles/{second.id}/consensus/sign-off", data={"csrf_token": csrf})
    assert r.status_code == 409 and "re-confirm last cycle" in r.text
    assert 'href="#sign-off"' in r.text


# --- consensus -------------------------------------------------------------------------------

def test_consensus_view_flags_and_voices(client, session, world):
    cycle = _open(session, world)
    carer = make_member(session, site=world.site_a, perspective="carer")
    _rate(session, world, world.member, {1: 3, 2: 2}, cycle, comment="<script>x</script>")
    _rate(session, world, world.lead, {1: 1, 2: 2}, cycle)
    _rate(session, world, carer, {2: 2}, cycle)
    sign_in(client, world.lead)
    html = client.get(f"/cycles/{cycle.id}/consensus").text
    assert html.count("People disagree (range 2 or more)</strong>") == 1
    assert html.count("Staff and lived-experience views differ</strong>") == 1
    assert "No one with lived experience has rated yet" not in html
    assert "(3 in total)" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert f'action="/cycles/{cycle.id}/consensus"' in html
    assert 'name="rationale_1"' in html and "Sign off the consensus" in html
    flags = html.split('id="challenge-1-title"')[1].split('id="challenge-2-title"')[0]
    assert "People disagree" in flags and "Lived experience" in flags and "Staff" in flags


def test_consensus_warns_when_no_one_with_lived_experience_has_rated(client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, {1: 1}, cycle)
    assessments.open_meeting(session, cycle=cycle, site=world.site_a,
                             principal=_principal(session, world.lead))
    sign_in(client, world.member)
    html = client.get(f"/cycles/{cycle.id}/consensus").text
    assert "No one with lived experience has rated yet" in html
    # Once the lead has opened the meeting, a member sees the view, read-only.
    assert 'name="level_1"' not in html and "Sign off the consensus" not in html


def test_agree_sign_off_and_reopen_through_the_pages(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    body = {"csrf_token": csrf}
    for c in range(1, 11):
        body[f"level_{c}"], body[f"rationale_{c}"] = "1", f"We agreed {c}"
    r = client.post(f"/cycles/{cycle.id}/consensus", data=body, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/cycles/{cycle.id}/consensus/sign-off", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    session.refresh(cycle)
    assert cycle.signed_off_at is not None
    page = client.get(f"/cycles/{cycle.id}/consensus").text
    assert "was signed off on" in page and 'name="reason"' in page
    assert 'name="level_1"' not in page
    # Saving after sign-off is refused with the reason.
    r = client.post(f"/cycles/{cycle.id}/consensus", data=body)
    assert r.status_code == 409 and "signed off" in r.text
    r = client.post(f"/cycles/{cycle.id}/consensus/reopen", data={"csrf_token": csrf,
                                                                  "reason": "  "})
    assert r.status_code == 422 and "Enter the reason for reopening" in r.text
    assert 'href="#reason"' in r.text
    r = client.post(f"/cycles/{cycle.id}/consensus/reopen", follow_redirects=False,
                    data={"csrf_token": csrf, "reason": "New evidence from the carers' group"})
    assert r.status_code == 303
    session.refresh(cycle)
    assert cycle.signed_off_at is None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "reopen")).one()
    assert "New evidence from the carers' group" in str(event.after)


def test_sign_off_before_every_level_is_agreed_is_409(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    r = client.post(f"/cycles/{cycle.id}/consensus/sign-off", data={"csrf_token": csrf})
    assert r.status_code == 409 and "cannot be signed off yet" in r.text
    r = client.post(f"/cycles/{cycle.id}/consensus", data={
        "csrf_token": csrf, "level_2": "5", "rationale_2": "typed with a bad level"})
    assert r.status_code == 422 and f"Level for challenge 2 {SCALE}" in r.text
    assert "typed with a bad level</textarea>" in r.text
    r = client.post(f"/cycles/{cycle.id}/consensus", data={
        "csrf_token": csrf, "rationale_3": "typed but no level"})
    assert r.status_code == 422 and "Select a level for challenge 3" in r.text
    assert "typed but no level</textarea>" in r.text
    assert session.exec(select(ConsensusScore)).all() == []


def test_member_may_not_agree_the_consensus(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member)
    for path, data in ((f"/cycles/{cycle.id}/consensus", {"level_1": "2"}),
                       (f"/cycles/{cycle.id}/consensus/sign-off", {}),
                       (f"/cycles/{cycle.id}/consensus/reopen", {"reason": "because"})):
        assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    assert session.exec(select(ConsensusScore)).all() == []


def test_a_member_of_another_site_gets_404_everywhere(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member_b)
    base = f"/cycles/{cycle.id}"
    for path in ("/rate", "/consensus", "/facilitator"):
        assert client.get(base + path).status_code == 404, path
    for path in ("/rate", "/consensus", "/consensus/sign-off", "/consensus/reopen",
                 "/facilitator", "/feedback"):
        r = client.post(base + path, data={"csrf_token": csrf, "level_1": "1", "reason": "x",
                                           "body": "x"})
        assert r.status_code == 404, path


# --- the facilitator's view ------------------------------------------------------------------

def test_facilitator_rates_and_everyone_sees_self_vs_facilitator(client, session, world):
    cycle = _open(session, world)
    _agree_all(session, world, cycle, level=1)
    csrf = sign_in(client, world.facilitator)
    page = client.get(f"/cycles/{cycle.id}/facilitator").text
    assert f'action="/cycles/{cycle.id}/facilitator"' in page and 'name="level_10"' in page
    assert f'href="/cycles/{cycle.id}/rate"' not in page  # a facilitator has no own ratings
    r = client.post(f"/cycles/{cycle.id}/facilitator", follow_redirects=False, data={
        "csrf_token": csrf, "level_1": "3", "comment_1": "Seen on the ward", "level_2": "0"})
    assert r.status_code == 303
    rows = session.exec(select(FacilitatorRating).where(
        FacilitatorRating.cycle_id == cycle.id)).all()
    assert {(x.challenge, x.level) for x in rows} == {(1, 3), (2, 0)}
    r = client.post(f"/cycles/{cycle.id}/facilitator", data={"csrf_token": csrf, "level_1": "4"})
    assert r.status_code == 422 and f"Level for challenge 1 {SCALE}" in r.text

    sign_in(client, world.member)
    page = client.get(f"/cycles/{cycle.id}/facilitator").text
    table = page.split('id="self-vs-facilitator"')[1].split("</table>")[0]
    assert "+2" in table and "-1" in table and "Not given" in table
    assert 'name="level_1"' not in page and 'name="body"' not in page


def test_member_may_not_post_facilitator_ratings_or_feedback(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member)
    r = client.post(f"/cycles/{cycle.id}/facilitator", data={"csrf_token": csrf, "level_1": "2"})
    assert r.status_code == 403
    r = client.post(f"/cycles/{cycle.id}/feedback", data={"csrf_token": csrf, "body": "hi"})
    assert r.status_code == 403
    assert session.exec(select(FacilitatorRating)).all() == []


def test_feedback_from_the_facilitator_and_the_programme_team(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.facilitator)
    r = client.post(f"/cycles/{cycle.id}/feedback", data={"csrf_token": csrf, "body": " "})
    assert r.status_code == 422 and "Enter your feedback" in r.text and 'href="#body"' in r.text
    r = client.post(f"/cycles/{cycle.id}/feedback", follow_redirects=False,
                    data={"csrf_token": csrf, "body": "Great <em>progress</em> on peer work"})
    assert r.status_code == 303
    csrf = sign_in(client, world.programme)
    assert client.post(f"/cycles/{cycle.id}/feedback", follow_redirects=False, data={
        "csrf_token": csrf, "body": "Agreed"}).status_code == 303
    assert len(session.exec(select(Feedback)).all()) == 2
    sign_in(client, world.member)
    page = client.get(f"/cycles/{cycle.id}/facilitator").text
    assert "Fay Facilitator" in page and "Pat Programme" in page
    assert "Great &lt;em&gt;progress&lt;/em&gt; on peer work" in page


def test_sign_off_saves_what_the_form_holds_first(client, session, world):
    """The obvious last step: choose every level, write every rationale, press Sign off."""
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    page = client.get(f"/cycles/{cycle.id}/consensus").text
    form = page.split('id="agree"')[1].split("</form>")[0]
    assert f'formaction="/cycles/{cycle.id}/consensus/sign-off"' in form  # one form, two ways
    body = {"csrf_token": csrf}
    for c in range(1, 11):
        body[f"level_{c}"], body[f"rationale_{c}"] = "2", f"Agreed at the meeting, {c}"
    r = client.post(f"/cycles/{cycle.id}/consensus/sign-off", data=body, follow_redirects=False)
    assert r.status_code == 303, r.text
    session.refresh(cycle)
    assert cycle.signed_off_at is not None
    saved = {s.challenge: (s.level, s.rationale)
             for s in assessments.list_consensus(session, cycle=cycle)}
    assert saved == {c: (2, f"Agreed at the meeting, {c}") for c in range(1, 11)}
    shown = client.get(r.headers["location"]).text
    assert "The consensus is signed off" in shown


def test_sign_off_with_some_levels_missing_keeps_everything_typed(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    body = {"csrf_token": csrf, "level_1": "1", "rationale_1": "Typed before sign-off",
            "rationale_2": ""}
    r = client.post(f"/cycles/{cycle.id}/consensus/sign-off", data=body)
    assert r.status_code == 409 and "cannot be signed off yet" in r.text
    assert "Typed before sign-off</textarea>" in r.text  # shown again, and saved too
    [kept] = assessments.list_consensus(session, cycle=cycle)
    assert (kept.challenge, kept.level, kept.rationale) == (1, 1, "Typed before sign-off")
    session.refresh(cycle)
    assert cycle.signed_off_at is None
    r = client.post(f"/cycles/{cycle.id}/consensus/sign-off", data={
        "csrf_token": csrf, "level_3": "9", "rationale_3": "A level off the scale"})
    assert r.status_code == 422 and "A level off the scale</textarea>" in r.text


def test_long_forms_have_a_contents_list_and_a_progress_line(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    client.post(f"/cycles/{cycle.id}/rate", data={"csrf_token": csrf, "level_1": "1",
                                                  "level_4": "2"})
    page = client.get(f"/cycles/{cycle.id}/rate").text
    contents = page.split('class="nhsuk-contents-list"')[1].split("</nav>")[0]
    assert contents.count('class="nhsuk-contents-list__link"') == 10
    assert 'href="#rating-4"' in contents and "2 of 10 rated" in page
    assert "(rated)" in contents.split('href="#rating-4"')[1].split("</li>")[0]
    client.post(f"/cycles/{cycle.id}/consensus", data={"csrf_token": csrf, "level_2": "1",
                                                       "rationale_2": "Agreed"})
    page = client.get(f"/cycles/{cycle.id}/consensus").text
    assert "1 of 10 agreed" in page
    contents = page.split('class="nhsuk-contents-list"')[1].split("</nav>")[0]
    assert 'href="#challenge-2-title"' in contents
    assert "(agreed)" in contents.split('href="#challenge-2-title"')[1].split("</li>")[0]
    assert "(not yet)" in contents.split('href="#challenge-3-title"')[1].split("</li>")[0]
