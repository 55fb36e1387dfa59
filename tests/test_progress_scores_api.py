"""Progress scores over the JSON API: the scale's steps, who gives which score, who reads
them, and a stale version refused."""

import pytest
from sqlmodel import select

from imroc.db import write_session
from imroc.models import AuditEvent, Cycle, User
from imroc.models.progress_score import PROGRESS_LEVELS, ProgressScoreIn
from imroc.services import cycles, progress_scores
from imroc.services.access import load_principal
from tests.core_loop import API, audited, ok, open_cycle, refused, run_together


@pytest.fixture
def cid(client, w):
    return open_cycle(client, w.h["lead"], w.site_a.id)["id"]


def url(cid, giver="site"):
    return f"{API}/cycles/{cid}/progress-scores/{giver}"


def test_the_scale_has_ten_steps_in_halves_each_with_words(client, w):
    steps = ok(client.get(f"{API}/progress-scale", headers=w.h["member"]))
    assert [s["score"] for s in steps] == [x / 2 for x in range(1, 11)]
    assert all(s["name"] and s["words"] for s in steps)
    assert len({s["words"] for s in steps}) == 10


def test_the_lead_gives_the_sites_score_and_changes_it_with_the_version(client, session, w,
                                                                         cid):
    saved = audited(session, lambda: client.put(url(cid), headers=w.h["lead"], json={
        "score": 2.5, "comment": "  Tried a new ward round  "}), entity="cycle",
        action="progress_score", site_id=w.site_a.id, actor_id=w.lead.id, entity_id=cid)
    assert (saved["score"], saved["level"], saved["comment"], saved["given_by"],
            saved["version"]) == (2.5, PROGRESS_LEVELS[2.5][0], "Tried a new ward round",
                                  w.lead.id, 1)
    again = ok(client.put(url(cid), headers=w.h["lead"], json={"score": 3, "version": 1}))
    assert (again["score"], again["version"]) == (3.0, 2)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "progress_score")
                         .order_by(AuditEvent.id.desc())).first()
    assert event.before == {"giver": "site", "score": 2.5, "comment": "Tried a new ward round"}
    assert event.after == {"giver": "site", "score": 3.0, "comment": ""}


def test_the_facilitator_gives_theirs_and_everyone_who_sees_the_cycle_reads_both(
        client, w, cid):
    ok(client.put(url(cid), headers=w.h["lead"], json={"score": 2}))
    ok(client.put(url(cid, "facilitator"), headers=w.h["facilitator"], json={"score": 1.5}))
    for role in ("member", "lead", "facilitator", "programme"):
        both = ok(client.get(f"{API}/cycles/{cid}/progress-scores", headers=w.h[role]))
        assert [(s["giver"], s["score"]) for s in both] == [("site", 2.0),
                                                            ("facilitator", 1.5)]
    one = ok(client.get(f"{API}/cycles/{cid}/progress-scores", headers=w.h["member"]))[1]
    assert (one["score"], one["given_by"], one["level"]) == (1.5, w.facilitator.id,
                                                             "Planning started")


def test_a_score_not_given_reads_as_null(client, w, cid):
    none = ok(client.get(f"{API}/cycles/{cid}/progress-scores", headers=w.h["lead"]))[1]
    assert (none["score"], none["version"], none["level"]) == (None, None, "")


@pytest.mark.parametrize("score", [0, 0.25, 0.75, 5.5, 6, -0.5, 3.3, "high", True, None])
def test_scores_off_the_scale_are_refused(client, session, w, cid, score):
    detail = refused(session, lambda: client.put(url(cid), headers=w.h["lead"],
                                                 json={"score": score}), 422)["detail"]
    assert [e["field"] for e in detail] == ["score"]


@pytest.mark.parametrize("score", [0.5, 1, 4.5, 5.0])
def test_every_end_and_half_of_the_scale_is_taken(client, w, cid, score):
    assert ok(client.put(url(cid), headers=w.h["lead"], json={"score": score}))["score"] == score


def test_an_unknown_giver_is_refused(client, session, w, cid):
    refused(session, lambda: client.put(url(cid, "programme"), headers=w.h["lead"],
                                        json={"score": 2}), 404)


@pytest.mark.parametrize("role, giver, status", [
    ("member", "site", 403), ("facilitator", "site", 403), ("programme", "site", 403),
    ("lead", "facilitator", 403), ("member", "facilitator", 403),
    ("programme", "facilitator", 403), ("other_facilitator", "site", 404),
    ("other_facilitator", "facilitator", 404), ("member_b", "site", 404)])
def test_only_the_lead_and_the_sets_facilitator_give_scores(client, session, w, cid, role,
                                                              giver, status):
    refused(session, lambda: client.put(url(cid, giver), headers=w.h[role],
                                        json={"score": 2}), status)


@pytest.mark.parametrize("role", ["other_facilitator", "member_b"])
def test_people_who_cannot_see_the_cycle_cannot_read_its_scores(client, w, cid, role):
    assert client.get(f"{API}/cycles/{cid}/progress-scores",
                      headers=w.h[role]).status_code == 404


def test_the_facilitators_score_follows_the_set_the_cycle_ran_in(client, session, w, cid):
    # The site moved to set B after the cycle ran in set A: set B's facilitator may see the
    # site now, but the cycle's facilitator score is not theirs to give.
    w.site_a.learning_set_id = w.set_b.id
    session.add(w.site_a)
    session.commit()
    refused(session, lambda: client.put(url(cid, "facilitator"), headers=w.h["other_facilitator"],
                                        json={"score": 2}), 403)


def test_a_stale_or_missing_version_is_refused_with_the_current_score(client, session, w, cid):
    ok(client.put(url(cid), headers=w.h["lead"], json={"score": 2}))
    ok(client.put(url(cid), headers=w.h["lead"], json={"score": 2.5, "version": 1}))
    stale = refused(session, lambda: client.put(url(cid), headers=w.h["lead"],
                                                json={"score": 4, "version": 1}), 409)
    assert "changed this progress score" in stale["detail"]
    refused(session, lambda: client.put(url(cid), headers=w.h["lead"], json={"score": 4}), 409)
    refused(session, lambda: client.put(url(cid, "facilitator"), headers=w.h["facilitator"],
                                        json={"score": 4, "version": 1}), 409)


def test_two_saves_of_the_same_version_never_both_win(client, session, w, cid):
    ok(client.put(url(cid), headers=w.h["lead"], json={"score": 1}))

    def work(i, barrier):
        with write_session() as s:
            principal = load_principal(s, s.get(User, w.lead.id))
            s.commit()  # hold no lock while waiting for the other
            barrier.wait()
            cycle, site = cycles.get_cycle(s, cycle_id=cid, principal=principal)
            return progress_scores.set_score(
                s, cycle=cycle, site=site, giver="site", principal=principal,
                data=ProgressScoreIn(score=2 + i, version=1)).score

    results = run_together(2, work)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "float"]
    won = next(r for r in results if isinstance(r, float))
    session.expire_all()
    scores = progress_scores.scores_of(session, cycle=session.get(Cycle, cid))
    assert (scores["site"].score, scores["site"].version) == (won, 2)
