"""Objectives reached: each priority's target against the level agreed at the next
signed-off assessment, the rule and the API."""

from datetime import date

from sqlalchemy import event
from sqlmodel import select

from imroc.clock import utcnow
from imroc.models import ConsensusScore, Cycle, Priority, Site
from imroc.services import frameworks, objectives
from tests.core_loop import API, ok

# cycle 1 agreed levels, its priorities (challenge -> current, target), cycle 2 agreed levels
FIRST = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2}
TARGETS = {1: (1, 3), 2: (1, 3), 3: (1, 2), 4: (2, 2), 5: (2, 3)}
SECOND = {1: 3, 2: 2, 3: 1, 4: 2, 5: 1}
EXPECTED = {1: "reached",      # 1 -> 3, target 3
            2: "partly",       # 1 -> 2, target 3
            3: "not_yet",      # 1 -> 1, no change
            4: "reached",      # target 2 was already met and held
            5: "not_yet"}      # 2 -> 1, lower


def add_cycle(session, site: Site, number: int, levels: dict[int, int], *, signed: bool = True,
              priorities: dict[int, tuple[int, int]] | None = None,
              learning_set_id: int | None = -1) -> Cycle:
    """A cycle with agreed levels (signed off or not) and priorities, made directly."""
    cycle = Cycle(site_id=site.id, number=number, framework_id=frameworks.current(session).id,
                  stage="closed" if signed else "assess", started_on=date(2023, number, 1),
                  signed_off_at=utcnow() if signed else None,
                  learning_set_id=site.learning_set_id if learning_set_id == -1
                  else learning_set_id)
    session.add(cycle)
    session.flush()
    session.add_all([ConsensusScore(cycle_id=cycle.id, challenge=c, level=v)
                     for c, v in levels.items()])
    session.add_all([Priority(cycle_id=cycle.id, challenge=c, rank=i + 1, current_level=cur,
                              target_level=target, reason="")
                     for i, (c, (cur, target)) in enumerate((priorities or {}).items())])
    session.commit()
    return cycle


def history(session, site: Site) -> list[Cycle]:
    """Cycle 1 with five priorities, cycle 2 rescored them and set one of its own, cycle 3
    signed off later still, cycle 4 open with a draft level that must not count."""
    one = add_cycle(session, site, 1, FIRST, priorities=TARGETS)
    two = add_cycle(session, site, 2, SECOND, priorities={2: (2, 3)})
    three = add_cycle(session, site, 3, {1: 3, 2: 3, 3: 3}, priorities={3: (3, 3)})
    four = add_cycle(session, site, 4, {3: 3}, signed=False)
    return [one, two, three, four]


def by_challenge(session, cycle: Cycle) -> dict[int, objectives.Outcome]:
    outcomes = objectives.for_cycles(session, [cycle.id])
    ids = dict(session.exec(select(Priority.id, Priority.challenge)
                            .where(Priority.cycle_id == cycle.id)).all())
    return {ids[pid]: o for pid, o in outcomes.items()}


def test_each_priority_is_read_against_the_next_signed_off_assessment(session, w):
    one, two, three, _ = history(session, w.site_a)
    first = by_challenge(session, one)
    assert {c: o.attainment for c, o in first.items()} == EXPECTED
    assert {c: o.rescored_level for c, o in first.items()} == SECOND
    assert {o.rescored_cycle_number for o in first.values()} == {2}  # the next, not the latest
    assert first[1].sentence == "Reached: agreed level 3 at cycle 2"
    assert first[5].sentence == "Not yet: agreed level 1 at cycle 2"
    # cycle 2's priority 2 -> 3 is reached at cycle 3
    assert by_challenge(session, two)[2].attainment == "reached"
    # cycle 3's priority: cycle 4's draft level is no signed-off assessment
    third = by_challenge(session, three)[3]
    assert (third.attainment, third.rescored_level) == ("no_rescore", None)
    assert third.sentence.startswith("Not rescored yet")


def test_a_later_assessment_that_did_not_score_the_challenge_is_skipped(session, w):
    add_cycle(session, w.site_a, 1, {1: 1}, priorities={1: (1, 2)})
    add_cycle(session, w.site_a, 2, {2: 2})
    add_cycle(session, w.site_a, 3, {1: 2})
    first = session.exec(select(Cycle.id).where(Cycle.site_id == w.site_a.id,
                                                Cycle.number == 1)).one()
    outcome = next(iter(objectives.for_cycles(session, [first]).values()))
    assert (outcome.attainment, outcome.rescored_cycle_number) == ("reached", 3)


def test_another_sites_assessments_never_rescore_a_priority(session, w):
    one = add_cycle(session, w.site_a, 1, {1: 1}, priorities={1: (1, 2)})
    add_cycle(session, w.site_b, 2, {1: 3})
    assert by_challenge(session, one)[1].attainment == "no_rescore"


def test_summary_counts_by_challenge_and_in_total(session, w):
    history(session, w.site_a)
    s = objectives.summary(session, site_ids=[w.site_a.id])
    assert s.total == {"reached": 3, "partly": 1, "not_yet": 2, "no_rescore": 1}
    assert dict(s.rows())[3] == {"reached": 0, "partly": 0, "not_yet": 1, "no_rescore": 1}
    assert s.priorities == 7


def test_a_set_counts_the_cycles_run_in_it(session, w):
    add_cycle(session, w.site_a, 1, {1: 1}, priorities={1: (1, 2)},
              learning_set_id=w.set_b.id)  # ran in set B before the site moved to set A
    add_cycle(session, w.site_a, 2, {1: 2}, priorities={1: (2, 3)})
    assert objectives.summary(session, learning_set_id=w.set_b.id).total["reached"] == 1
    in_a = objectives.summary(session, learning_set_id=w.set_a.id).total
    assert in_a == {"reached": 0, "partly": 0, "not_yet": 0, "no_rescore": 1}
    groups = objectives.by_group(session, site_ids=[w.site_a.id])
    assert groups["set"][w.set_b.id]["reached"] == 1
    assert groups["kind"]["pilot"] == {"reached": 1, "partly": 0, "not_yet": 0, "no_rescore": 1}


def _statements(session, run) -> int:
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_one_query_however_many_priorities(session, w):
    cycles = history(session, w.site_a)
    ids = [c.id for c in cycles]
    small = (_statements(session, lambda: objectives.for_cycles(session, ids)),
             _statements(session, lambda: objectives.summary(session)),
             _statements(session, lambda: objectives.by_group(session, site_ids=[w.site_a.id])))
    for n in range(3):
        site = Site(name=f"More {n}", kind="pilot", learning_set_id=w.set_a.id, region="East")
        session.add(site)
        session.commit()
        ids += [c.id for c in history(session, site)]
    large = (_statements(session, lambda: objectives.for_cycles(session, ids)),
             _statements(session, lambda: objectives.summary(session)),
             _statements(session, lambda: objectives.by_group(session, site_ids=[w.site_a.id])))
    assert small == large == (1, 1, 1)


# --- the API ----------------------------------------------------------------------------

def test_cycle_priorities_carry_attainment_and_rescored_level(client, session, w):
    one, _, three, _ = history(session, w.site_a)
    got = ok(client.get(f"{API}/cycles/{one.id}/priorities", headers=w.h["member"]))
    assert {p["challenge"]: (p["attainment"], p["rescored_level"])
            for p in got["priorities"]} == {c: (EXPECTED[c], SECOND[c]) for c in EXPECTED}
    got = ok(client.get(f"{API}/cycles/{three.id}/priorities", headers=w.h["facilitator"]))
    assert got["priorities"] == [{"challenge": 3, "rank": 1, "current_level": 3,
                                  "target_level": 3, "reason": "", "attainment": "no_rescore",
                                  "rescored_level": None}]
    assert client.get(f"{API}/cycles/{one.id}/priorities",
                      headers=w.h["member_b"]).status_code == 404


def test_objectives_report_for_a_site_a_set_and_everything_one_may_see(client, session, w):
    history(session, w.site_a)
    add_cycle(session, w.site_b, 1, {1: 1}, priorities={1: (1, 2)})
    url = f"{API}/reports/objectives"
    site = ok(client.get(url, params={"site_id": w.site_a.id}, headers=w.h["member"]))
    assert site["total"] == {"reached": 3, "partly": 1, "not_yet": 2, "no_rescore": 1,
                             "priorities": 7}
    assert site["challenges"][0] == {"challenge": 1, "reached": 1, "partly": 0, "not_yet": 0,
                                     "no_rescore": 0, "priorities": 1}
    in_set = ok(client.get(url, params={"learning_set_id": w.set_a.id},
                           headers=w.h["facilitator"]))
    assert in_set["total"] == site["total"]
    assert ok(client.get(url, headers=w.h["member"]))["total"] == site["total"]  # own site
    everything = ok(client.get(url, headers=w.h["programme"]))
    assert everything["total"]["no_rescore"] == 2 and everything["total"]["priorities"] == 8
    assert ok(client.get(url, headers=w.h["member_b"]))["total"]["priorities"] == 1


def test_objectives_report_refusals(client, session, w):
    url = f"{API}/reports/objectives"
    assert client.get(url).status_code == 401
    assert client.get(url, params={"site_id": w.site_a.id},
                      headers=w.h["member_b"]).status_code == 404
    assert client.get(url, params={"learning_set_id": w.set_a.id},
                      headers=w.h["other_facilitator"]).status_code == 404
    assert client.get(url, params={"site_id": w.site_a.id, "learning_set_id": w.set_b.id},
                      headers=w.h["facilitator"]).status_code == 404
    for bad in ({"site_id": "0"}, {"site_id": "two"}, {"learning_set_id": "-1"}):
        response = client.get(url, params=bad, headers=w.h["programme"])
        assert response.status_code == 422, bad
        assert list(bad)[0] in response.text
