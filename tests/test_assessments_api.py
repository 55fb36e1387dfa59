"""Assessment rules over the JSON API: own ratings, the consensus, sign-off and reopening, the
facilitator's view. Every refusal must leave every row of the core loop as it was."""

import json

import pytest
from fastapi.testclient import TestClient

from imroc.db import write_session
from imroc.models import User
from imroc.models.assessment import RatingIn, RatingsIn
from imroc.services import assessments, audit, cycles
from imroc.services.access import load_principal
from tests.core_loop import (
    API,
    advance_to,
    audited,
    db_state,
    ok,
    open_cycle,
    ratings,
    refused,
    rows,
    run_together,
    scores,
)
from tests.factories import make_member

PERSPECTIVES = ["staff", "lived_experience", "carer", "partner"]
# Who writes each kind of score, and the key of its list in the body.
SCORE_KINDS = [("ratings", "member", "ratings"), ("consensus", "lead", "scores"),
               ("facilitator-ratings", "facilitator", "ratings")]



@pytest.fixture
def cid(client, w):
    return open_cycle(client, w.h["lead"], w.site_a.id)["id"]


def test_a_member_saves_and_revises_their_own_ratings(client, session, w, cid):
    url = f"{API}/cycles/{cid}/ratings"
    audited(session, lambda: client.put(url, json=ratings(1), headers=w.h["member"]),
            entity="cycle", action="rate", site_id=w.site_a.id, actor_id=w.member.id,
            entity_id=cid)
    saved = audited(session, lambda: client.put(url, headers=w.h["member"], json={"ratings": [
        {"challenge": 1, "level": 3, "comment": "  peer workers in every team  "}]}),
        entity="cycle", action="rate", site_id=w.site_a.id, actor_id=w.member.id)
    assert len(saved["ratings"]) == 10  # a revision, not a second set
    everyone = ok(client.get(url, headers=w.h["lead"]))["ratings"]
    assert len(everyone) == 10
    first = next(r for r in everyone if r["challenge"] == 1)
    assert (first["level"], first["comment"], first["rater_id"], first["perspective"]) == (
        3, "peer workers in every team", w.member.id, "lived_experience")


@pytest.mark.parametrize("level", [-1, 4, 99])
@pytest.mark.parametrize("path, role, key", SCORE_KINDS)
def test_levels_outside_the_scale_are_refused(client, session, w, cid, path, role, key, level):
    body = {key: [{"challenge": 1, "level": 2}, {"challenge": 2, "level": level}]}
    detail = refused(session, lambda: client.put(f"{API}/cycles/{cid}/{path}", json=body,
                                                 headers=w.h[role]), 422)["detail"]
    assert [e["field"] for e in detail] == [f"{key}.1.level"]


@pytest.mark.parametrize("challenge", [0, 11])
@pytest.mark.parametrize("path, role, key", SCORE_KINDS)
def test_unknown_challenges_are_refused(client, session, w, cid, path, role, key, challenge):
    body = {key: [{"challenge": 1, "level": 2}, {"challenge": challenge, "level": 2}]}
    detail = refused(session, lambda: client.put(f"{API}/cycles/{cid}/{path}", json=body,
                                                 headers=w.h[role]), 422)["detail"]
    assert [e["field"] for e in detail] == [f"{key}.1.challenge"]


@pytest.mark.parametrize("path, role, key", SCORE_KINDS)
def test_a_challenge_given_twice_in_one_save_is_refused(client, session, w, cid, path, role, key):
    body = {key: [{"challenge": 5, "level": 1}, {"challenge": 5, "level": 2}]}
    detail = refused(session, lambda: client.put(f"{API}/cycles/{cid}/{path}", json=body,
                                                 headers=w.h[role]), 422)["detail"]
    assert [(e["field"], e["msg"]) for e in detail] == [
        (f"{key}.1.challenge", "Challenge 5 is given twice")]


def test_consensus_and_sign_off_are_audited(client, session, w, cid):
    url = f"{API}/cycles/{cid}/consensus"
    site, lead = w.site_a.id, w.lead.id
    agreed = audited(session, lambda: client.put(url, json=scores(2), headers=w.h["lead"]),
                     entity="cycle", action="agree", site_id=site, actor_id=lead, entity_id=cid)
    assert [s["level"] for s in agreed["scores"]] == [2] * 10 and not agreed["signed_off"]
    cycle = audited(session, lambda: client.post(f"{url}/sign-off", headers=w.h["lead"]),
                    entity="cycle", action="sign_off", site_id=site, actor_id=lead, entity_id=cid)
    assert cycle["signed_off"] is True


def test_a_signed_off_assessment_is_locked(client, session, w, cid):
    ok(client.put(f"{API}/cycles/{cid}/ratings", json=ratings(1), headers=w.h["member"]))
    ok(client.put(f"{API}/cycles/{cid}/consensus", json=scores(2), headers=w.h["lead"]))
    ok(client.post(f"{API}/cycles/{cid}/consensus/sign-off", headers=w.h["lead"]))
    shown = {p: ok(client.get(f"{API}/cycles/{cid}/{p}", headers=w.h["lead"]))
             for p in ("ratings", "consensus")}
    for path, role, body in (("ratings", "member", ratings(3)), ("ratings", "lead", ratings(3)),
                             ("consensus", "lead", scores(3))):
        detail = refused(session, lambda path=path, role=role, body=body: client.put(
            f"{API}/cycles/{cid}/{path}", json=body, headers=w.h[role]), 409)["detail"]
        assert "signed off" in detail and "reopen" in detail
    assert {p: ok(client.get(f"{API}/cycles/{cid}/{p}", headers=w.h["lead"]))
            for p in ("ratings", "consensus")} == shown
    assert "signed off" in refused(session, lambda: client.post(
        f"{API}/cycles/{cid}/consensus/sign-off", headers=w.h["lead"]), 409)["detail"]


def test_sign_off_lists_the_challenges_still_without_a_level(client, session, w, cid):
    ok(client.put(f"{API}/cycles/{cid}/consensus", headers=w.h["lead"],
                  json=scores(2, challenges=[1, 2, 3, 5, 6, 7, 8])))
    detail = refused(session, lambda: client.post(f"{API}/cycles/{cid}/consensus/sign-off",
                                                  headers=w.h["lead"]), 409)["detail"]
    assert detail == ("The consensus cannot be signed off yet: "
                      "agree a level for challenge 4, 9, 10.")


def test_reopening_needs_a_signed_off_assessment_and_a_reason(client, session, w, cid):
    url = f"{API}/cycles/{cid}/consensus"
    lead = w.h["lead"]
    ok(client.put(url, json=scores(2), headers=lead))
    detail = refused(session, lambda: client.post(f"{url}/reopen", json={"reason": "Recount"},
                                                  headers=lead), 409)["detail"]
    assert "not signed off" in detail
    signed = ok(client.post(f"{url}/sign-off", headers=lead))
    for body in ({"reason": ""}, {"reason": "   "}, {}):
        detail = refused(session, lambda body=body: client.post(f"{url}/reopen", json=body,
                                                                headers=lead), 422)["detail"]
        assert [e["field"] for e in detail] == ["reason"]
    reopened = audited(session, lambda: client.post(f"{url}/reopen", headers=lead, json={
        "reason": "  Carers' ratings arrived late  "}), entity="cycle", action="reopen",
        site_id=w.site_a.id, actor_id=w.lead.id, entity_id=cid)
    assert reopened["signed_off"] is False and reopened["version"] == signed["version"] + 1
    (after,) = rows(session, "SELECT after FROM audit_event WHERE action = 'reopen'")[0]
    assert (json.loads(after) if isinstance(after, str) else after) == {
        "reason": "Carers' ratings arrived late"}
    ok(client.put(f"{API}/cycles/{cid}/ratings", json=ratings(2), headers=w.h["member"]))


def test_a_later_cycle_signs_off_only_once_every_carried_score_is_reconfirmed(client, session, w,
                                                                             cid):
    lead = w.h["lead"]
    advance_to(client, lead, cid, "closed")  # cycle 1 agreed level 1 everywhere
    second = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=lead))[-1]["id"]
    url = f"{API}/cycles/{second}/consensus"
    offered = ok(client.get(url, headers=lead))["scores"]
    assert [(s["level"], s["to_reconfirm"]) for s in offered] == [(1, True)] * 10
    detail = refused(session, lambda: client.post(f"{url}/sign-off", headers=lead),
                     409)["detail"]
    assert detail.endswith("re-confirm last cycle's level for challenge "
                           "1, 2, 3, 4, 5, 6, 7, 8, 9, 10.")
    ok(client.put(url, json=scores(2, challenges=range(1, 9)), headers=lead))
    detail = refused(session, lambda: client.post(f"{url}/sign-off", headers=lead),
                     409)["detail"]
    assert detail.endswith("re-confirm last cycle's level for challenge 9, 10.")
    ok(client.put(url, json=scores(1, challenges=[9, 10]), headers=lead))  # confirmed as is
    assert ok(client.post(f"{url}/sign-off", headers=lead))["signed_off"] is True
    # Cycle 1's agreed levels stay in the history untouched.
    first = ok(client.get(f"{API}/cycles/{cid}/consensus", headers=lead))["scores"]
    assert [s["level"] for s in first] == [1] * 10


def test_only_the_sets_facilitator_gives_a_facilitator_rating(client, session, w, cid):
    url = f"{API}/cycles/{cid}/facilitator-ratings"
    saved = audited(session, lambda: client.put(url, json=ratings(2), headers=w.h[
        "facilitator"]), entity="cycle", action="facilitator_rate", site_id=w.site_a.id,
        actor_id=w.facilitator.id, entity_id=cid)
    assert {(r["rater_id"], r["perspective"]) for r in saved["ratings"]} == {
        (w.facilitator.id, "facilitator")}
    for role, status in (("other_facilitator", 404), ("member", 403), ("lead", 403),
                         ("programme", 403)):
        refused(session, lambda role=role: client.put(url, json=ratings(3), headers=w.h[role]),
                status)
    assert [r["level"] for r in ok(client.get(url, headers=w.h["member"]))["ratings"]] == [2] * 10


@pytest.mark.parametrize("write", ["ratings", "consensus", "sign-off"])
def test_a_write_and_its_audit_event_commit_together(app, client, session, w, cid, monkeypatch,
                                                    write):
    if write == "sign-off":
        ok(client.put(f"{API}/cycles/{cid}/consensus", json=scores(2), headers=w.h["lead"]))
    real = audit.record

    def record_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("the audit trail could not be written")

    monkeypatch.setattr(audit, "record", record_then_fail)
    calls = {"ratings": lambda c: c.put(f"{API}/cycles/{cid}/ratings", json=ratings(2),
                                        headers=w.h["member"]),
             "consensus": lambda c: c.put(f"{API}/cycles/{cid}/consensus", json=scores(3),
                                          headers=w.h["lead"]),
             "sign-off": lambda c: c.post(f"{API}/cycles/{cid}/consensus/sign-off",
                                          headers=w.h["lead"])}
    before = db_state(session)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        assert calls[write](c).status_code == 500
    assert db_state(session) == before  # no change without its audit event


def test_twenty_people_saving_at_once_lose_nothing(client, session, w, cid):
    ids = [make_member(session, site=w.site_a, perspective=PERSPECTIVES[i % 4]).id
           for i in range(20)]

    def save(i, barrier):
        with write_session() as s:
            principal = load_principal(s, s.get(User, ids[i]))
            s.commit()  # hold no lock while waiting for the others
            barrier.wait()
            cycle, site = cycles.get_cycle(s, cycle_id=cid, principal=principal)
            data = RatingsIn(ratings=[RatingIn(challenge=c, level=(i + c) % 4,
                                               comment=f"rater {i}") for c in range(1, 11)])
            return len(assessments.set_ratings(s, cycle=cycle, site=site, data=data,
                                               principal=principal))

    assert run_together(20, save) == [10] * 20
    assert rows(session, "SELECT count(*) FROM rating WHERE cycle_id = :c", c=cid) == [(200,)]
    per_rater = rows(session, "SELECT rater_id, count(*), min(comment) FROM rating "
                              "GROUP BY rater_id ORDER BY rater_id")
    assert per_rater == [(rid, 10, f"rater {i}") for i, rid in enumerate(ids)]
    assert rows(session, "SELECT count(*) FROM audit_event WHERE action = 'rate' "
                         "AND site_id = :s", s=w.site_a.id) == [(20,)]
