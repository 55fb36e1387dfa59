"""The consensus meeting, and nobody anchoring on others' scores before giving their own."""

from sqlmodel import select

from imroc.models import ConsensusScore
from imroc.models.assessment import RatingsIn
from imroc.models.cycle import CycleCreate
from imroc.services import assessments, cycles
from imroc.services.access import load_principal
from tests.factories import api_token, csrf_from, make_member, sign_in


def _open(session, world):
    return cycles.open_cycle(session, site=world.site_a, data=CycleCreate(),
                             principal=load_principal(session, world.lead))


def _rate(session, world, user, cycle, n: int, comment: str = "") -> None:
    assessments.set_ratings(session, cycle=cycle, site=world.site_a,
                            principal=load_principal(session, user),
                            data=RatingsIn(ratings=[{"challenge": c, "level": 2,
                                                     "comment": comment}
                                                    for c in range(1, n + 1)]))


def test_a_member_sees_no_one_elses_ratings_until_they_have_rated_or_the_meeting_opens(
        client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle, 10, "The lead's view")
    _rate(session, world, world.member, cycle, 3)
    member = api_token(client, world.member)
    mine = client.get(f"/api/v1/cycles/{cycle.id}/ratings", headers=member).json()["ratings"]
    assert {r["rater_id"] for r in mine} == {world.member.id}
    sign_in(client, world.member)
    page = client.get(f"/cycles/{cycle.id}/consensus").text
    assert "You have rated 3 of 10" in page and "The lead&#39;s view" not in page
    assert "The lead's view" not in page

    sign_in(client, world.lead)
    lead_page = client.get(f"/cycles/{cycle.id}/consensus")
    opened = client.post(f"/cycles/{cycle.id}/consensus/meeting",
                         data={"csrf_token": csrf_from(lead_page.text)}, follow_redirects=False)
    assert opened.headers["location"] == f"/cycles/{cycle.id}/consensus/meeting/1"
    everyone = client.get(f"/api/v1/cycles/{cycle.id}/ratings", headers=member).json()
    assert {r["rater_id"] for r in everyone["ratings"]} == {world.member.id, world.lead.id}


def test_a_member_who_has_rated_everything_sees_everyone(client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle, 10)
    _rate(session, world, world.member, cycle, 10)
    sign_in(client, world.member)
    assert "Whose voices are in these scores" in client.get(f"/cycles/{cycle.id}/consensus").text


def test_the_lead_records_the_agreed_level_one_challenge_at_a_time(client, session, world):
    make_member(session, site=world.site_a, perspective="carer")
    cycle = _open(session, world)
    _rate(session, world, world.member, cycle, 10, "Peer workers lead the groups")
    sign_in(client, world.lead)
    screen = client.get(f"/cycles/{cycle.id}/consensus/meeting/1")
    assert screen.status_code == 200
    text = screen.text
    assert "challenge 1 of 10" in text and "Peer workers lead the groups" in text
    assert "Not rated yet:" in text and f"{world.lead.name} (staff)" in text and "(carer)" in text
    assert 'data-app-next' in text and 'data-app-prev' not in text
    csrf = csrf_from(text)
    bad = client.post(f"/cycles/{cycle.id}/consensus/meeting/1", data={
        "csrf_token": csrf, "level": "9", "rationale": "Kept when refused", "go": "next"})
    assert bad.status_code == 422 and "Kept when refused" in bad.text
    saved = client.post(f"/cycles/{cycle.id}/consensus/meeting/1", data={
        "csrf_token": csrf, "level": "2", "rationale": "We run groups together", "go": "next"},
        follow_redirects=False)
    assert saved.headers["location"] == f"/cycles/{cycle.id}/consensus/meeting/2?saved=true"
    [score] = session.exec(select(ConsensusScore).where(ConsensusScore.cycle_id == cycle.id)).all()
    assert (score.challenge, score.level, score.rationale) == (1, 2, "We run groups together")
    assert client.get(f"/cycles/{cycle.id}/consensus/meeting/11").status_code == 422
    sign_in(client, world.member)
    assert client.get(f"/cycles/{cycle.id}/consensus/meeting/1").status_code == 403
