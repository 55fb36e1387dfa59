"""Whose voices are in the scores: "don't know" as an answer without a level, the perspectives
missing from each challenge, who has not rated yet, and what the programme team sees."""

import pytest
from sqlalchemy import event
from sqlmodel import select

from imroc.models import Cycle, Rating
from imroc.models.assessment import RatingsIn, ScoresIn
from imroc.models.cycle import CycleCreate
from imroc.services import access, assessments, consensus, cycles
from imroc.services.dashboards import aggregates
from tests.core_loop import API, ok, open_cycle, ratings, refused, rows
from tests.factories import api_token, make_member, make_user, sign_in
from tests.pages import text

ALL = range(1, 11)


def _p(session, user):
    return access.load_principal(session, user)


def _open(session, world) -> Cycle:
    return cycles.open_cycle(session, site=world.site_a, data=CycleCreate(),
                             principal=_p(session, world.lead))


def _rate(session, world, user, cycle: Cycle, challenges=ALL, level: int = 2,
          dont_know=()) -> None:
    items = [{"challenge": c, "level": level} for c in challenges if c not in dont_know]
    items += [{"challenge": c, "level": None, "dont_know": True} for c in dont_know]
    assessments.set_ratings(session, cycle=cycle, site=world.site_a, principal=_p(session, user),
                            data=RatingsIn(ratings=items))


def _sign_off(session, world, cycle: Cycle) -> None:
    lead = _p(session, world.lead)
    assessments.set_consensus(session, cycle=cycle, site=world.site_a, principal=lead,
                              data=ScoresIn(scores=[{"challenge": c, "level": 1} for c in ALL]))
    assessments.sign_off(session, cycle=cycle, site=world.site_a, principal=lead)


def _section(page: str, n: int) -> str:
    """The consensus page's part for challenge n (up to the next challenge's heading)."""
    start = page.index(f'id="challenge-{n}-title"')
    end = page.find(f'id="challenge-{n + 1}-title"', start)
    return page[start:end if end > 0 else None]


# --- "don't know" over the API ----------------------------------------------------------------

@pytest.fixture
def cid(client, w):
    return open_cycle(client, w.h["lead"], w.site_a.id)["id"]


def test_a_member_answers_dont_know_over_the_api(client, session, w, cid):
    url = f"{API}/cycles/{cid}/ratings"
    body = ratings(2, range(1, 7))
    body["ratings"].append({"challenge": 7, "level": None, "dont_know": True,
                            "comment": "I have not seen the co-production work"})
    saved = ok(client.put(url, json=body, headers=w.h["member"]))["ratings"]
    seven = next(r for r in saved if r["challenge"] == 7)
    assert (seven["level"], seven["dont_know"]) == (None, True)
    assert rows(session, "SELECT level, dont_know FROM rating WHERE cycle_id = :c AND "
                         "challenge = 7", c=cid) == [(None, True)]
    # Changing one's mind: a level replaces the "don't know".
    ok(client.put(url, json={"ratings": [{"challenge": 7, "level": 1}]}, headers=w.h["member"]))
    listed = ok(client.get(url, headers=w.h["lead"]))["ratings"]
    assert [(r["level"], r["dont_know"]) for r in listed if r["challenge"] == 7] == [(1, False)]


@pytest.mark.parametrize("item, field", [
    ({"challenge": 3, "level": None}, "ratings.1.level"),
    ({"challenge": 3}, "ratings.1.level"),
    ({"challenge": 3, "level": 2, "dont_know": True}, "ratings.1.dont_know"),
    ({"challenge": 3, "level": 0, "dont_know": True}, "ratings.1.dont_know"),
])
def test_a_rating_is_a_level_or_dont_know_never_neither_or_both(client, session, w, cid,
                                                                item, field):
    body = {"ratings": [{"challenge": 1, "level": 2}, item]}
    detail = refused(session, lambda: client.put(f"{API}/cycles/{cid}/ratings", json=body,
                                                 headers=w.h["member"]), 422)["detail"]
    assert [e["field"] for e in detail] == [field]


def test_dont_know_is_refused_for_the_agreed_level_and_the_facilitators_view(client, session,
                                                                            w, cid):
    item = {"challenge": 1, "level": None, "dont_know": True}
    detail = refused(session, lambda: client.put(
        f"{API}/cycles/{cid}/facilitator-ratings", json={"ratings": [item]},
        headers=w.h["facilitator"]), 422)["detail"]
    assert [e["field"] for e in detail] == ["ratings.0.dont_know"]
    detail = refused(session, lambda: client.put(
        f"{API}/cycles/{cid}/consensus", json={"scores": [item]}, headers=w.h["lead"]),
        422)["detail"]
    assert {e["field"].split(".")[-1] for e in detail} <= {"level", "dont_know"}


def test_the_database_refuses_a_rating_with_neither_level_nor_dont_know(session, world):
    cycle = _open(session, world)
    session.add(Rating(cycle_id=cycle.id, rater_id=world.member.id,
                       perspective="lived_experience", challenge=1, level=None))
    with pytest.raises(Exception, match="(?i)check"):
        session.commit()
    session.rollback()


# --- "don't know" in the consensus: an answer, never a level ------------------------------------

def test_dont_know_counts_as_an_answer_but_not_in_levels_medians_or_flags(session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle, level=3)
    _rate(session, world, world.member, cycle, level=1, dont_know=(4,))
    view = consensus.consensus_view(session, cycle=cycle)
    four = view.challenges[3]
    assert four.levels == [3] and four.dont_know == 1
    assert (four.low, four.middle, four.high, four.spread) == (3, 3, 3, 0)
    assert four.perspective_median("lived_experience") is None
    assert not four.disagreement and not four.perspectives_differ
    assert four.missing == []  # the lived-experience member answered: "don't know"
    five = view.challenges[4]
    assert five.levels == [1, 3] and five.disagreement  # the others are untouched
    reasons = dict(consensus.suggestions(view))
    assert 4 not in reasons
    # Ten answers, one of them "don't know": the member has rated and sees everyone.
    assert assessments.sees_others(session, cycle=cycle, site=world.site_a,
                                   principal=_p(session, world.member))


def test_the_rate_page_offers_dont_know_and_saves_it(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member)
    page = client.get(f"/cycles/{cycle.id}/rate").text
    assert 'id="level-7-5"' in page or 'value="dont_know"' in page
    assert page.count('value="dont_know"') == 10
    assert "Don&#39;t know" in page or "Don't know" in page
    r = client.post(f"/cycles/{cycle.id}/rate", data={
        "csrf_token": csrf, "level_7": "dont_know", "comment_7": "Not sure", "level_1": "2"},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    saved = {r.challenge: (r.level, r.dont_know, r.comment) for r in session.exec(
        select(Rating).where(Rating.cycle_id == cycle.id)).all()}
    assert saved == {7: (None, True, "Not sure"), 1: (2, False, "")}
    page = client.get(f"/cycles/{cycle.id}/rate").text
    checked = [line for line in page.splitlines() if 'value="dont_know"' in line]
    assert sum("checked" in line for line in checked) == 1


def test_dont_know_saves_one_challenge_through_htmx(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member)
    r = client.post(f"/cycles/{cycle.id}/rate", data={"challenge": "4", "level_4": "dont_know"},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert "<html" not in r.text and "1 of 10 rated" in r.text
    assert rows(session, "SELECT challenge, level, dont_know FROM rating WHERE cycle_id = :c",
                c=cycle.id) == [(4, None, True)]


def test_the_consensus_form_does_not_take_dont_know_as_an_agreed_level(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.lead)
    r = client.post(f"/cycles/{cycle.id}/consensus",
                    data={"csrf_token": csrf, "level_2": "dont_know", "rationale_2": "kept"})
    assert r.status_code == 422
    assert "Select one of the levels for challenge 2" in r.text and "kept</textarea>" in r.text
    assert rows(session, "SELECT count(*) FROM consensus_score WHERE cycle_id = :c",
                c=cycle.id) == [(0,)]


def test_the_consensus_page_shows_dont_know_apart_from_the_levels(client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle, level=3)
    _rate(session, world, world.member, cycle, level=1, dont_know=(4,))
    sign_in(client, world.lead)
    four = text(_section(client.get(f"/cycles/{cycle.id}/consensus").text, 4))
    assert "Don't know" in four
    assert "3, 3 and 3 (1 rating; 1 “don't know” not counted)" in four


# --- the perspectives missing from each challenge ------------------------------------------------

def test_a_challenge_left_blank_by_the_only_lived_experience_member_is_flagged(
        client, session, world):
    """Challenge 7 (co-production): the lived-experience member rated the other nine."""
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle)
    _rate(session, world, world.member, cycle, challenges=[c for c in ALL if c != 7])
    sign_in(client, world.lead)
    page = client.get(f"/cycles/{cycle.id}/consensus").text
    flag = "No one with lived experience has rated this challenge"
    assert flag in _section(page, 7)
    assert all(flag not in _section(page, n) for n in ALL if n != 7)
    sign_off = page[page.index('id="sign-off"'):]
    unheard = sign_off[sign_off.index('id="unheard-challenges"'):sign_off.index("</ul>")]
    assert "Not every voice is in these scores" in sign_off
    assert unheard.count("<li>") == 1 and 'href="#challenge-7-title"' in unheard
    assert "no one with lived experience has rated it" in unheard
    # Who has not rated yet, by perspective.
    waiting = text(page[page.index('id="not-rated"'):page.index('id="agree"')])
    assert f"Lived experience {world.member.name} (9 of 10 answered)" in waiting
    # The API says the same.
    body = ok(client.get(f"{API}/cycles/{cycle.id}/consensus",
                         headers=api_token(client, world.lead)))
    assert body["unheard"] == [{"challenge": 7, "perspectives": ["lived_experience"]}]


def test_every_perspective_the_group_has_is_looked_for_and_no_more(client, session, world):
    carer = make_member(session, site=world.site_a, perspective="carer",
                        user=make_user(session, name="Cara Carer"))
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle)
    _rate(session, world, world.member, cycle, dont_know=(7,))
    view = consensus.consensus_view(session, cycle=cycle)
    assert [c.missing for c in view.challenges] == [["carer"]] * 10  # no partner: not looked for
    sign_in(client, world.lead)
    page = client.get(f"/cycles/{cycle.id}/consensus").text
    assert "No carer has rated this challenge" in _section(page, 7)
    assert "No one with lived experience" not in _section(page, 7)  # "don't know" is heard
    waiting = text(page[page.index('id="not-rated"'):page.index('id="agree"')])
    assert "Carer Cara Carer (not started)" in waiting
    assert world.member.name not in waiting and world.lead.name not in waiting
    _rate(session, world, carer, cycle, challenges=[1])
    assert consensus.consensus_view(session, cycle=cycle).challenges[0].missing == []


def test_a_member_who_has_not_rated_still_sees_no_one_elses_ratings_or_names(
        client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle)
    _rate(session, world, world.member, cycle, challenges=range(1, 10))
    sign_in(client, world.member)
    page = client.get(f"/cycles/{cycle.id}/consensus").text
    assert 'id="not-rated"' not in page and "has rated this challenge" not in page
    _rate(session, world, world.member, cycle, challenges=[10], dont_know=(10,))
    page = client.get(f"/cycles/{cycle.id}/consensus").text
    assert 'id="not-rated"' in page and "Everyone in the steering group has answered" in page


def test_the_meeting_view_flags_the_missing_perspective(client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle)
    _rate(session, world, world.member, cycle, challenges=[c for c in ALL if c != 7],
          dont_know=(3,))
    sign_in(client, world.lead)
    seven = client.get(f"/cycles/{cycle.id}/consensus/meeting/7").text
    assert "No one with lived experience has rated this challenge" in seven
    three = text(client.get(f"/cycles/{cycle.id}/consensus/meeting/3").text)
    assert "Don't know" in three and "1 person says they don't know" in three
    assert "has rated this challenge" not in three


# --- the to-do list and the programme view --------------------------------------------------------

def _tasks(client, user) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for t in ok(client.get(f"{API}/me/tasks", headers=api_token(client, user))):
        out.setdefault(t["kind"], []).append(t["title"])
    return out


def test_facilitators_see_which_challenges_lack_a_voice(client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle)
    _rate(session, world, world.member, cycle, challenges=[c for c in ALL if c not in (3, 7)])
    assert _tasks(client, world.facilitator)["missing_voice"] == [
        "No ratings yet from the lived experience perspective on challenges 3 and 7 in cycle 1 "
        "of Site A"]
    _rate(session, world, world.member, cycle, challenges=[3], dont_know=(7,))
    assert "missing_voice" not in _tasks(client, world.facilitator)


def test_the_programme_sees_which_signed_off_consensus_had_no_lived_experience_voice(
        client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle)
    _rate(session, world, world.member, cycle, challenges=[c for c in ALL if c not in (3, 7)])
    _sign_off(session, world, cycle)
    assert _tasks(client, world.programme)["missing_voice"] == [
        "Cycle 1 of Site A was signed off with no rating from anyone with lived experience on "
        "challenges 3 and 7"]
    sign_in(client, world.programme)
    page = client.get("/programme").text
    table = text(page[page.index('id="lived-experience-gaps"'):])
    assert "Site A 1 Not heard on challenges 3, 7" in table
    assert "Site B" not in table  # nothing signed off there


def _statements(session, work) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_programme_view_finds_gaps_in_a_fixed_number_of_queries(session, world):
    sites = [world.site_a, world.site_b]
    one_signed = None
    for site in sites:
        lead = world.lead if site is world.site_a else make_member(
            session, site=site, role="site_lead")
        for _ in range(2):
            cycle = cycles.open_cycle(session, site=site, data=CycleCreate(),
                                      principal=_p(session, lead))
            pl = _p(session, lead)
            assessments.set_consensus(session, cycle=cycle, site=site, principal=pl, data=ScoresIn(
                scores=[{"challenge": c, "level": 1} for c in ALL]))
            assessments.sign_off(session, cycle=cycle, site=site, principal=pl)
            cycle.stage = "closed"
            session.add(cycle)
            session.commit()
            if one_signed is None:
                one_signed = _statements(
                    session, lambda: aggregates.lived_experience_gaps(session, sites))
    found: list = []
    signed = _statements(session, lambda: found.extend(
        aggregates.lived_experience_gaps(session, sites)))
    assert signed == one_signed == 2
    assert [(u.site.name, u.cycle_number, u.everywhere) for u in found] == [
        ("Site A", 1, True), ("Site A", 2, True), ("Site B", 1, True), ("Site B", 2, True)]


def test_exports_show_dont_know_without_a_level(client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.member, cycle, challenges=[1], dont_know=(2,))
    sign_in(client, world.lead)
    csv = client.get(f"/sites/{world.site_a.id}/export?format=csv&table=ratings").text
    lines = csv.splitlines()
    assert lines[0].endswith("Level,Comment,Don't know")
    two = next(line for line in lines[1:] if line.split(",")[2] == "2")
    assert two.endswith(",lived_experience,,,Yes")
