"""Priority and action rules over the JSON API: stages, the limit, safe concurrent edits, and
what people of another site cannot reach. Every refusal must leave the data as it was."""

import pytest

from imroc.config import get_settings
from imroc.db import write_session
from imroc.errors import Conflict
from imroc.models import User
from imroc.models.action import ActionUpdate
from imroc.services import actions
from imroc.services.access import load_principal
from tests.core_loop import (
    API,
    advance_to,
    audited,
    ok,
    open_cycle,
    refused,
    rows,
    run_together,
)


@pytest.fixture
def cid(client, w):
    return open_cycle(client, w.h["lead"], w.site_a.id)["id"]


def _priorities(*challenges: int) -> dict:
    return {"priorities": [{"challenge": c, "rank": rank, "target_level": 3, "reason": "low"}
                           for rank, c in enumerate(challenges, start=1)]}


def _planned(client, w, cid) -> dict:
    """The cycle at plan with priorities 7 and 3 and one action under 7, as read (version 1)."""
    advance_to(client, w.h["lead"], cid, "plan")
    ok(client.put(f"{API}/cycles/{cid}/priorities", json=_priorities(7, 3), headers=w.h["lead"]))
    return ok(client.post(f"{API}/cycles/{cid}/actions", headers=w.h["member"], json={
        "challenge": 7, "title": "Recovery college course", "owner": "Sam"}), 201)


def test_priorities_and_actions_wait_for_the_plan_stage(client, session, w, cid):
    put = lambda: client.put(f"{API}/cycles/{cid}/priorities", json=_priorities(7),  # noqa: E731  (one request, sent many times)
                             headers=w.h["lead"])
    post = lambda: client.post(f"{API}/cycles/{cid}/actions", json={  # noqa: E731  (one request, sent many times)
        "challenge": 7, "title": "Too early"}, headers=w.h["member"])
    assert "plan stage" in refused(session, put, 409)["detail"]
    assert "plan stage" in refused(session, post, 409)["detail"]
    ok(client.put(f"{API}/cycles/{cid}/consensus", headers=w.h["lead"], json={"scores": [
        {"challenge": c, "level": 1} for c in range(1, 11)]}))
    ok(client.post(f"{API}/cycles/{cid}/consensus/sign-off", headers=w.h["lead"]))
    refused(session, put, 409)  # signed off but not yet moved on to plan
    refused(session, post, 409)


def test_no_more_priorities_than_the_limit(client, session, w, cid):
    advance_to(client, w.h["lead"], cid, "plan")
    url = f"{API}/cycles/{cid}/priorities"
    detail = refused(session, lambda: client.put(url, json=_priorities(1, 2, 3, 4),
                                                 headers=w.h["lead"]), 422)["detail"]
    assert [(e["field"], e["msg"]) for e in detail] == [
        ("priorities", "Choose at most 3 priorities")]
    saved = audited(session, lambda: client.put(url, json=_priorities(4, 2, 9),
                                                headers=w.h["lead"]), entity="cycle",
                    action="prioritise", site_id=w.site_a.id, actor_id=w.lead.id, entity_id=cid)
    assert [(p["challenge"], p["rank"], p["current_level"]) for p in saved["priorities"]] == [
        (4, 1, 1), (2, 2, 1), (9, 3, 1)]


@pytest.fixture
def max_two(monkeypatch):
    monkeypatch.setenv("IMROC_MAX_PRIORITIES", "2")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_the_limit_follows_imroc_max_priorities(client, session, w, cid, max_two):
    advance_to(client, w.h["lead"], cid, "plan")
    url = f"{API}/cycles/{cid}/priorities"
    detail = refused(session, lambda: client.put(url, json=_priorities(1, 2, 3),
                                                 headers=w.h["lead"]), 422)["detail"]
    assert [(e["field"], e["msg"]) for e in detail] == [
        ("priorities", "Choose at most 2 priorities")]
    assert len(ok(client.put(url, json=_priorities(1, 2), headers=w.h["lead"]))["priorities"]) == 2


def test_an_action_belongs_under_a_priority(client, session, w, cid):
    action = _planned(client, w, cid)
    assert (action["version"], action["status"], action["carried_from_id"]) == (1, "not_started",
                                                                               None)
    made = audited(session, lambda: client.post(f"{API}/cycles/{cid}/actions", json={
        "challenge": 3, "title": "Peer support workers"}, headers=w.h["member"]), status=201,
        entity="action", action="create", site_id=w.site_a.id, actor_id=w.member.id)
    assert made["cycle_id"] == cid
    detail = refused(session, lambda: client.post(f"{API}/cycles/{cid}/actions", json={
        "challenge": 5, "title": "Not a priority"}, headers=w.h["member"]), 422)["detail"]
    assert [e["field"] for e in detail] == ["challenge"]
    detail = refused(session, lambda: client.patch(f"{API}/actions/{action['id']}", json={
        "challenge": 5, "version": 1}, headers=w.h["member"]), 422)["detail"]
    assert [e["field"] for e in detail] == ["challenge"]
    moved = ok(client.patch(f"{API}/actions/{action['id']}", json={"challenge": 3, "version": 1},
                            headers=w.h["member"]))
    assert (moved["challenge"], moved["version"]) == (3, 2)


def test_outcomes_wait_for_the_study_stage(client, session, w, cid):
    action = _planned(client, w, cid)
    ok(client.post(f"{API}/cycles/{cid}/actions", headers=w.h["lead"], json={
        "challenge": 3, "title": "Peer support workers"}), 201)
    ok(client.patch(f"{API}/cycles/{cid}", headers=w.h["lead"],
                    json={"aim": "More recovery", "prediction": "Some"}))
    ok(client.post(f"{API}/cycles/{cid}/advance", headers=w.h["lead"]))  # to do
    url = f"{API}/actions/{action['id']}"
    detail = refused(session, lambda: client.patch(url, json={"outcome": "adopt", "version": 1},
                                                   headers=w.h["member"]), 409)["detail"]
    assert "study or act stage" in detail
    ok(client.patch(f"{API}/cycles/{cid}", headers=w.h["lead"], json={"do_notes": "Ran it"}))
    ok(client.post(f"{API}/cycles/{cid}/advance", headers=w.h["lead"]))  # to study
    done = audited(session, lambda: client.patch(url, json={"outcome": "adopt", "version": 1},
                                                 headers=w.h["member"]), entity="action",
                   action="update", site_id=w.site_a.id, actor_id=w.member.id,
                   entity_id=action["id"])
    assert (done["outcome"], done["version"]) == ("adopt", 2)


def test_a_stale_version_is_refused_with_the_current_record(client, session, w, cid):
    action = _planned(client, w, cid)
    url = f"{API}/actions/{action['id']}"
    mine = ok(client.get(url, headers=w.h["member"]))
    theirs = ok(client.get(url, headers=w.h["lead"]))
    assert mine["version"] == theirs["version"] == 1
    won = ok(client.patch(url, headers=w.h["member"], json={
        "notes": "Booked the hall", "status": "in_progress", "version": mine["version"]}))
    assert won["version"] == 2
    body = refused(session, lambda: client.patch(url, headers=w.h["lead"], json={
        "notes": "Cancelled", "status": "dropped", "version": theirs["version"]}), 409)
    assert "Someone else changed this action" in body["detail"]
    assert body["current"] == won == ok(client.get(url, headers=w.h["lead"]))
    assert rows(session, "SELECT count(*) FROM audit_event WHERE entity = 'action' AND "
                         "action = 'update' AND entity_id = :a", a=str(action["id"])) == [(1,)]


def test_eight_saves_of_the_same_version_at_once_let_exactly_one_win(client, session, w, cid):
    action_id = _planned(client, w, cid)["id"]

    def save(i, barrier):
        with write_session() as s:
            principal = load_principal(s, s.get(User, w.member.id))
            s.commit()  # hold no lock while waiting for the others
            barrier.wait()
            action, cycle, site = actions.get_action(s, action_id=action_id, principal=principal)
            saved = actions.update_action(s, action=action, cycle=cycle, site=site,
                                          principal=principal,
                                          data=ActionUpdate(notes=f"thread {i}", version=1))
            return saved.version

    results = run_together(8, save)
    assert results.count(2) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 7, results
    winner = results.index(2)
    assert rows(session, "SELECT version, notes FROM action WHERE id = :a", a=action_id) == [
        (2, f"thread {winner}")]
    assert rows(session, "SELECT count(*) FROM audit_event WHERE entity = 'action' AND "
                         "action = 'update'") == [(1,)]


def test_deleting_an_action_is_audited(client, session, w, cid):
    action = _planned(client, w, cid)
    url = f"{API}/actions/{action['id']}"
    audited(session, lambda: client.delete(f"{url}?version={action['version']}",
                                           headers=w.h["member"]),
            status=204, entity="action", action="delete", site_id=w.site_a.id,
            actor_id=w.member.id, entity_id=action["id"])
    assert client.get(f"{API}/actions/{action['id']}", headers=w.h["member"]).status_code == 404


def test_a_delete_needs_the_version_read_and_a_stale_one_deletes_nothing(client, session, w,
                                                                        cid):
    action = _planned(client, w, cid)
    url = f"{API}/actions/{action['id']}"
    r = client.delete(url, headers=w.h["member"])
    assert r.status_code == 422 and "version" in r.text
    changed = ok(client.patch(url, json={"notes": "Changed a moment ago",
                                         "version": action["version"]}, headers=w.h["lead"]))
    stale = refused(session, lambda: client.delete(f"{url}?version={action['version']}",
                                                   headers=w.h["member"]), 409)
    assert stale["current"]["notes"] == "Changed a moment ago"
    assert stale["current"]["version"] == changed["version"]
    ok(client.delete(f"{url}?version={changed['version']}", headers=w.h["member"]), 204)


@pytest.mark.parametrize("version", [0, 2**31, 2**63, -(2**63) - 1])
def test_a_delete_with_a_version_no_record_can_have_is_refused_by_name(client, session, w, cid,
                                                                      version):
    action = _planned(client, w, cid)
    got = refused(session, lambda: client.delete(f"{API}/actions/{action['id']}?version={version}",
                                                 headers=w.h["member"]), 422)
    [problem] = got["detail"]
    assert problem["field"] == "version"
    assert problem["msg"] in ("Version must be 1 or more", "Version must be 2147483647 or less")


def test_an_action_carried_into_the_next_cycle_stays_in_the_history(client, session, w, cid):
    lead = w.h["lead"]
    advance_to(client, lead, cid, "closed", action_status="in_progress")
    (origin,) = ok(client.get(f"{API}/cycles/{cid}/actions", headers=lead))
    following = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=lead))[-1]["id"]
    (carried,) = ok(client.get(f"{API}/cycles/{following}/actions", headers=lead))
    assert (carried["carried_from_id"], carried["title"], carried["version"]) == (
        origin["id"], origin["title"], 1)
    url = f"{API}/actions/{origin['id']}"
    refused(session, lambda: client.delete(f"{url}?version={origin['version']}", headers=lead),
            409)
    detail = refused(session, lambda: client.patch(url, headers=lead, json={
        "status": "done", "version": origin["version"]}), 409)["detail"]
    assert "closed" in detail
    updated = ok(client.patch(f"{API}/actions/{carried['id']}", headers=w.h["member"],
                              json={"status": "done", "version": 1}))
    assert (updated["status"], updated["carried_from_id"]) == ("done", origin["id"])


@pytest.mark.parametrize("stranger", ["member_b", "other_facilitator"])
def test_people_of_another_site_are_told_nothing_exists(client, session, w, cid, stranger):
    aid = _planned(client, w, cid)["id"]
    c, a = f"{API}/cycles/{cid}", f"{API}/actions/{aid}"
    requests = [
        ("GET", f"{API}/sites/{w.site_a.id}/cycles", None),
        ("POST", f"{API}/sites/{w.site_a.id}/cycles", {"started_on": "2024-05-01"}),
        ("GET", c, None), ("PATCH", c, {"aim": "Hijacked"}), ("POST", f"{c}/advance", None),
        ("GET", f"{c}/ratings", None),
        ("PUT", f"{c}/ratings", {"ratings": [{"challenge": 1, "level": 1}]}),
        ("GET", f"{c}/consensus", None),
        ("PUT", f"{c}/consensus", {"scores": [{"challenge": 1, "level": 1}]}),
        ("POST", f"{c}/consensus/sign-off", None),
        ("POST", f"{c}/consensus/reopen", {"reason": "Because"}),
        ("GET", f"{c}/facilitator-ratings", None),
        ("PUT", f"{c}/facilitator-ratings", {"ratings": [{"challenge": 1, "level": 1}]}),
        ("GET", f"{c}/feedback", None), ("POST", f"{c}/feedback", {"body": "Hello"}),
        ("GET", f"{c}/priorities", None),
        ("PUT", f"{c}/priorities", {"priorities": [{"challenge": 1, "rank": 1,
                                                    "target_level": 2}]}),
        ("GET", f"{c}/actions", None),
        ("POST", f"{c}/actions", {"challenge": 7, "title": "Hijacked"}),
        ("GET", a, None), ("PATCH", a, {"notes": "Hijacked", "version": 1}), ("DELETE", a, None),
    ]
    unknown = {"sites": ok(client.get(f"{API}/sites/999999", headers=w.h["lead"]), 404),
               "cycles": ok(client.get(f"{API}/cycles/999999", headers=w.h["lead"]), 404),
               "actions": ok(client.get(f"{API}/actions/999999", headers=w.h["lead"]), 404)}
    for method, url, body in requests:
        got = refused(session, lambda method=method, url=url, body=body: client.request(
            method, url, json=body, headers=w.h[stranger]), 404)
        assert got == unknown[url.split("/")[3]], (method, url)  # the same as a missing id


def test_an_owner_is_a_member_of_the_site_or_a_name_typed_for_someone_outside(
        client, session, w, cid):
    action = _planned(client, w, cid)
    assert (action["owner"], action["owner_id"]) == ("Sam", None)
    url = f"{API}/cycles/{cid}/actions"
    mine = ok(client.post(url, headers=w.h["member"], json={
        "challenge": 3, "title": "Peer support rota", "owner_id": w.member.id,
        "owner": "ignored when a member is chosen"}), 201)
    assert (mine["owner_id"], mine["owner"]) == (w.member.id, w.member.name)
    detail = refused(session, lambda: client.post(url, headers=w.h["member"], json={
        "challenge": 3, "title": "Someone else's", "owner_id": w.member_b.id}), 422)["detail"]
    assert detail[0]["field"] == "owner_id" and "steering group" in detail[0]["msg"]
    moved = ok(client.patch(f"{API}/actions/{action['id']}", headers=w.h["member"],
                            json={"owner_id": w.lead.id, "version": action["version"]}))
    assert (moved["owner_id"], moved["owner"]) == (w.lead.id, w.lead.name)
    typed = ok(client.patch(f"{API}/actions/{action['id']}", headers=w.h["member"],
                            json={"owner": "Jo from the recovery college",
                                  "version": moved["version"]}))
    assert (typed["owner_id"], typed["owner"]) == (None, "Jo from the recovery college")


def test_a_carried_action_keeps_its_owner(client, session, w, cid):
    lead = w.h["lead"]
    advance_to(client, lead, cid, "do", action_status="in_progress")
    (origin,) = ok(client.get(f"{API}/cycles/{cid}/actions", headers=lead))
    ok(client.patch(f"{API}/actions/{origin['id']}", headers=lead,
                    json={"owner_id": w.member.id, "version": origin["version"]}))
    advance_to(client, lead, cid, "closed", action_status="in_progress")
    following = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=lead))[-1]["id"]
    (carried,) = ok(client.get(f"{API}/cycles/{following}/actions", headers=lead))
    assert (carried["owner_id"], carried["owner"]) == (w.member.id, w.member.name)
