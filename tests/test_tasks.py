"""What needs you now: each role's to-do, on the home page and at GET /api/v1/me/tasks."""

from datetime import date, timedelta
from decimal import Decimal

from imroc import clock
from imroc.clock import utcnow
from imroc.db import write_session
from imroc.models import ConsultancyEntry, Cycle, Feedback
from imroc.models.action import ActionCreate, PrioritiesIn, PriorityIn
from imroc.models.assessment import RatingsIn, ScoreIn, ScoresIn
from imroc.models.cycle import CycleCreate
from imroc.services import actions, assessments, cycles, priorities
from imroc.services.access import load_principal
from tests.factories import api_token, make_member, sign_in


def _tasks(client, user) -> list[dict]:
    response = client.get("/api/v1/me/tasks", headers=api_token(client, user))
    assert response.status_code == 200, response.text
    return response.json()


def _kinds(tasks) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for t in tasks:
        out.setdefault(t["kind"], []).append(t["title"])
    return out


def _open(session, world, **data):
    return cycles.open_cycle(session, site=world.site_a, data=CycleCreate(**data),
                             principal=load_principal(session, world.lead))


def _rate(session, world, user, cycle, n: int) -> None:
    assessments.set_ratings(session, cycle=cycle, site=world.site_a,
                            principal=load_principal(session, user),
                            data=RatingsIn(ratings=[{"challenge": c, "level": 1, "comment": ""}
                                                    for c in range(1, n + 1)]))


def _signed_off(session, world, cycle) -> None:
    lead = load_principal(session, world.lead)
    assessments.set_consensus(session, cycle=cycle, site=world.site_a, principal=lead,
                           data=ScoresIn(scores=[ScoreIn(challenge=c, level=1)
                                                 for c in range(1, 11)]))
    assessments.sign_off(session, cycle=cycle, site=world.site_a, principal=lead)


def test_members_are_asked_to_rate_and_leads_see_who_has_not(client, session, world):
    cycle = _open(session, world)
    assert _kinds(_tasks(client, world.member))["rate"] == [
        "Rate the ten challenges for cycle 1 of Site A: 0 of 10 rated"]
    _rate(session, world, world.member, cycle, 6)
    [rate] = [t for t in _tasks(client, world.member) if t["kind"] == "rate"]
    assert rate == {"kind": "rate", "title": "Rate the ten challenges for cycle 1 of Site A: "
                    "6 of 10 rated", "url": f"/cycles/{cycle.id}/rate", "due_on": None,
                    "site_id": world.site_a.id}
    lead = _kinds(_tasks(client, world.lead))
    assert lead["not_rated_yet"] == [f"Not rated yet for cycle 1 of Site A: {world.lead.name} "
                                     "(staff)"]
    assert lead["agree_consensus"] == ["Agree the consensus for cycle 1 of Site A "
                                       "(1 of 2 have rated)"]
    assert "not_rated_yet" not in _kinds(_tasks(client, world.member))  # leads only
    assert _tasks(client, world.member_b) == []  # another site's member: nothing of site A


def test_actions_due_reach_their_owner_and_overdue_ones_the_lead(client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.member, cycle, 10)
    _signed_off(session, world, cycle)
    lead = load_principal(session, world.lead)
    cycles.advance(session, cycle=cycle, site=world.site_a, principal=lead)
    priorities.set_priorities(session, cycle=cycle, site=world.site_a, principal=lead,
                              data=PrioritiesIn(priorities=[PriorityIn(challenge=3, rank=1,
                                                                       target_level=2)]))
    today = clock.today()
    for title, due, owner in (("Soon", today + timedelta(days=5), world.member.id),
                              ("Late", today - timedelta(days=3), world.member.id),
                              ("Far", today + timedelta(days=60), world.member.id),
                              ("Someone else's", today + timedelta(days=2), None)):
        actions.create_action(session, cycle=cycle, site=world.site_a, principal=lead,
                              data=ActionCreate(challenge=3, title=title, due_on=due,
                                                owner_id=owner, owner="Kim from outside"
                                                if owner is None else ""))
    member = _kinds(_tasks(client, world.member))
    assert member["action_due"] == [f"“Soon” (Site A) is due on {today + timedelta(days=5):%-d %B %Y}"]
    assert member["action_overdue"] == [f"“Late” (Site A) was due on "
                                        f"{today - timedelta(days=3):%-d %B %Y}"]
    lead_tasks = _kinds(_tasks(client, world.lead))
    assert [t.split("”")[0] for t in lead_tasks["action_overdue"]] == ["“Late"]
    assert "action_due" not in lead_tasks
    assert "Choose the priorities" not in str(lead_tasks)


def test_the_review_date_near_or_passed_is_on_the_leads_and_programmes_lists(
        client, session, world):
    today = clock.today()
    _open(session, world, started_on=today - timedelta(days=120),
                  review_due_on=today - timedelta(days=1))
    lead = _kinds(_tasks(client, world.lead))
    assert lead["review_due"] == [f"The review of cycle 1 of Site A was due on "
                                  f"{today - timedelta(days=1):%-d %B %Y}"]
    assert _kinds(_tasks(client, world.programme))["review_due"]
    assert "review_due" not in _kinds(_tasks(client, world.member))


def test_facilitators_see_stalled_cycles_missing_voices_and_assessments_awaiting_them(
        client, session, world):
    make_member(session, site=world.site_a, perspective="carer")
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle, 10)
    fac = _kinds(_tasks(client, world.facilitator))
    assert fac["missing_voice"] == ["No ratings yet from the carer and lived experience "
                                    "perspectives in cycle 1 of Site A"]
    assert "stalled_cycle" not in fac
    with write_session() as s:
        row = s.get(Cycle, cycle.id)
        row.stage_changed_at = utcnow() - timedelta(weeks=9)
        s.add(row)
        s.commit()
    assert _kinds(_tasks(client, world.facilitator))["stalled_cycle"][0].startswith(
        "Cycle 1 of Site A has been at Assess since")
    assert "stalled_cycle" in _kinds(_tasks(client, world.programme))
    assert _tasks(client, world.other_facilitator) == []  # not their learning set

    _signed_off(session, world, cycle)
    assert _kinds(_tasks(client, world.facilitator))["feedback_due"] == [
        "Give your rating or feedback on the signed-off assessment of cycle 1 of Site A"]
    with write_session() as s:
        s.add(Feedback(cycle_id=cycle.id, author_id=world.facilitator.id, body="Well done"))
        s.commit()
    assert "feedback_due" not in _kinds(_tasks(client, world.facilitator))


def test_the_programme_sees_sign_offs_without_lived_experience_and_consultancy_over(
        client, session, world):
    cycle = _open(session, world)
    _rate(session, world, world.lead, cycle, 10)  # staff only
    _signed_off(session, world, cycle)
    with write_session() as s:  # 45 days of the 30 allocated, given in three blocks
        s.add_all([ConsultancyEntry(site_id=world.site_b.id, delivered_on=date(2024, 3, n),
                                    days=Decimal(days), purpose="Training",
                                    delivered_by_name="Pat Peer")
                   for n, days in ((1, 20), (2, 20), (3, "5"))])
        s.commit()
    programme = _kinds(_tasks(client, world.programme))
    assert programme["missing_voice"] == ["Cycle 1 of Site A was signed off with no rating "
                                          "from anyone with lived experience"]
    assert programme["consultancy_over"] == ["Site B has used 45 consultancy days of the 30 "
                                             "allocated"]


def test_the_home_page_lists_what_needs_you_with_links(client, session, world):
    cycle = _open(session, world)
    sign_in(client, world.member)
    page = client.get("/").text
    assert "What needs you now" in page
    assert f'<a href="/cycles/{cycle.id}/rate">Rate the ten challenges for cycle 1 of Site A' \
        in page
    sign_in(client, world.outsider)
    assert "Nothing needs you at the moment" in client.get("/").text


def test_a_measure_gone_quiet_is_on_the_programmes_list_and_its_leads_reminders(
        client, session, world):
    from imroc.services import reminders
    from tests.test_measures_api import local

    lead = api_token(client, world.lead)
    made = client.post("/api/v1/measures", headers=lead, json=local(world.site_a.id))
    assert made.status_code == 201, made.text
    start = clock.today().replace(day=1)
    months = [(start.year * 12 + start.month - 1 - k) for k in (8, 7)]  # long ago, then quiet
    points = [{"period": f"{m // 12}-{m % 12 + 1:02d}-01", "value": 3} for m in months]
    saved = client.put(f"/api/v1/sites/{world.site_a.id}/measures/{made.json()['id']}/data",
                       headers=lead, json={"points": points})
    assert saved.status_code == 200, saved.text
    [quiet] = _kinds(_tasks(client, world.programme))["values_due"]
    assert quiet.startswith("Peer support contacts (Site A): no values for ")
    due = [r for r in reminders.plan(session, today=clock.today()) if r.kind == "values_due"]
    assert [(r.title.split(":")[0], r.user_ids) for r in due] == [
        ("Peer support contacts (Site A)", {world.lead.id})]
