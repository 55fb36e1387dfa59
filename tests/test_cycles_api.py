"""Cycle rules over the JSON API: opening, stages, the PDSA record, feedback, who may do what,
and the progress report. Every refusal must leave every row of the core loop as it was."""

import pytest

from tests.core_loop import (
    API,
    advance_to,
    audited,
    audits_since,
    last_audit_id,
    ok,
    open_cycle,
    refused,
    rows,
    scores,
)
from tests.factories import api_token, make_member, make_site


def test_the_lead_opens_cycle_one_and_it_is_audited(client, session, w):
    cycle = audited(session, lambda: client.post(
        f"{API}/sites/{w.site_a.id}/cycles", json={"started_on": "2024-01-08"},
        headers=w.h["lead"]), entity="cycle", action="open", site_id=w.site_a.id,
        actor_id=w.lead.id, status=201)
    assert (cycle["number"], cycle["stage"], cycle["signed_off"]) == (1, "assess", False)
    assert cycle["review_due_on"] == "2024-04-08"  # 91 days on by default
    listed = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=w.h["member"]))
    assert [c["id"] for c in listed] == [cycle["id"]]


def test_a_second_open_cycle_is_refused(client, session, w):
    open_cycle(client, w.h["lead"], w.site_a.id)
    body = refused(session, lambda: client.post(
        f"{API}/sites/{w.site_a.id}/cycles", json={"started_on": "2024-02-01"},
        headers=w.h["lead"]), 409)
    assert "already has an open cycle" in body["detail"]


def test_a_review_date_before_the_start_is_refused(client, session, w):
    url = f"{API}/sites/{w.site_a.id}/cycles"
    body = refused(session, lambda: client.post(url, headers=w.h["lead"], json={
        "started_on": "2024-03-01", "review_due_on": "2024-02-29"}), 422)
    assert [e["field"] for e in body["detail"]] == ["review_due_on"]
    assert "on or after the start date" in body["detail"][0]["msg"]
    cycle = open_cycle(client, w.h["lead"], w.site_a.id, started_on="2024-03-01",
                       review_due_on="2024-03-01")
    # Moving the review date later must obey the same rule.
    body = refused(session, lambda: client.patch(f"{API}/cycles/{cycle['id']}", headers=w.h[
        "lead"], json={"review_due_on": "2024-02-01"}), 422)
    assert [e["field"] for e in body["detail"]] == ["review_due_on"]
    moved = ok(client.patch(f"{API}/cycles/{cycle['id']}", headers=w.h["lead"],
                            json={"review_due_on": "2024-06-03"}))
    assert moved["review_due_on"] == "2024-06-03"


def test_advancing_before_sign_off_is_refused_with_the_reason(client, session, w):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    ok(client.put(f"{API}/cycles/{cid}/consensus", json=scores(2), headers=w.h["lead"]))
    body = refused(session, lambda: client.post(f"{API}/cycles/{cid}/advance",
                                                headers=w.h["lead"]), 409)
    assert body["detail"] == ("Assess is not complete. "
                              "The consensus scores have not been signed off yet.")
    assert ok(client.get(f"{API}/cycles/{cid}", headers=w.h["lead"]))["stage"] == "assess"


def test_the_plan_stage_names_what_is_missing(client, session, w):
    lead = w.h["lead"]
    cid = open_cycle(client, lead, w.site_a.id)["id"]
    advance_to(client, lead, cid, "plan")
    advance = lambda: client.post(f"{API}/cycles/{cid}/advance", headers=lead)  # noqa: E731  (one request, sent many times)
    detail = refused(session, advance, 409)["detail"]
    for reason in ("Choose at least one priority.", "Write the aim of this cycle.",
                   "Write what you predict will happen."):
        assert reason in detail
    ok(client.put(f"{API}/cycles/{cid}/priorities", headers=lead, json={"priorities": [
        {"challenge": 4, "rank": 1, "target_level": 2}]}))
    detail = refused(session, advance, 409)["detail"]
    assert "Add at least one action under every priority (challenge 4)." in detail


def test_every_stage_move_and_record_change_is_audited(client, session, w):
    lead, site = w.h["lead"], w.site_a.id
    cid = open_cycle(client, lead, site)["id"]
    url = f"{API}/cycles/{cid}"
    advance_to(client, lead, cid, "plan")
    read = ok(client.get(url, headers=w.h["member"]))
    changed = audited(session, lambda: client.patch(url, headers=w.h["member"], json={
        "aim": "  More co-produced plans  ", "version": read["version"]}),
        entity="cycle", action="update", site_id=site, actor_id=w.member.id, entity_id=cid)
    assert changed["aim"] == "More co-produced plans"
    assert changed["version"] == read["version"] + 1
    # A second person still holding the old version is told, and shown the current record.
    body = refused(session, lambda: client.patch(url, headers=lead, json={
        "aim": "Something else", "version": read["version"]}), 409)
    assert body["current"]["aim"] == "More co-produced plans"
    # Saving the same text again changes nothing and writes no audit event.
    mark = last_audit_id(session)
    ok(client.patch(url, headers=lead, json={"aim": "More co-produced plans"}))
    assert audits_since(session, mark) == []
    advance_to(client, lead, cid, "act")
    mark = last_audit_id(session)
    ok(client.patch(url, headers=lead, json={"act_notes": "Adapt and retest."}))
    closed = ok(client.post(f"{url}/advance", headers=lead))
    assert closed["stage"] == "closed"
    following = ok(client.get(f"{API}/sites/{site}/cycles", headers=lead))[-1]
    assert (following["number"], following["stage"]) == (2, "assess")
    assert [e[:4] for e in audits_since(session, mark)] == [
        ("cycle", str(cid), "update", site), ("cycle", str(cid), "advance", site),
        ("cycle", str(following["id"]), "open", site)]
    moves = rows(session, "SELECT site_id, actor_id FROM audit_event WHERE entity = 'cycle' "
                          "AND action = 'advance' AND entity_id = :cid", cid=str(cid))
    assert moves == [(site, w.lead.id)] * 5


def test_a_closed_cycle_refuses_every_change(client, session, w):
    lead = w.h["lead"]
    cid = open_cycle(client, lead, w.site_a.id)["id"]
    advance_to(client, lead, cid, "closed")
    url = f"{API}/cycles/{cid}"
    body = refused(session, lambda: client.patch(url, headers=lead,
                                                 json={"act_notes": "Rewritten"}), 409)
    assert "closed" in body["detail"]
    assert "closed" in refused(session, lambda: client.post(f"{url}/advance", headers=lead),
                               409)["detail"]
    refused(session, lambda: client.put(f"{url}/ratings", json={"ratings": [
        {"challenge": 1, "level": 2}]}, headers=w.h["member"]), 409)


def test_a_member_cannot_do_what_only_the_lead_does(client, session, w):
    lead, member, site = w.h["lead"], w.h["member"], w.site_a.id
    body = refused(session, lambda: client.post(f"{API}/sites/{site}/cycles", json={},
                                                headers=member), 403)
    assert "lead" in body["detail"]
    url = f"{API}/cycles/{open_cycle(client, lead, site)['id']}"
    steps = [
        (lambda h: client.put(f"{url}/consensus", json=scores(2), headers=h), "assess"),
        (lambda h: client.post(f"{url}/consensus/sign-off", headers=h), "assess"),
        (lambda h: client.post(f"{url}/consensus/reopen", json={"reason": "Late ratings"},
                               headers=h), "assess"),
        (lambda h: client.post(f"{url}/consensus/sign-off", headers=h), "assess"),
        (lambda h: client.post(f"{url}/advance", headers=h), "plan"),
        (lambda h: client.put(f"{url}/priorities", headers=h, json={"priorities": [
            {"challenge": 2, "rank": 1, "target_level": 3}]}), "plan"),
    ]
    for step, stage_after in steps:
        refused(session, lambda step=step: step(member), 403)
        ok(step(lead))  # the same request from the lead succeeds: only the role was wrong
        assert ok(client.get(url, headers=member))["stage"] == stage_after


def test_feedback_comes_from_facilitators_and_the_programme_team(client, session, w):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    url = f"{API}/cycles/{cid}/feedback"
    for role, user in (("facilitator", w.facilitator), ("programme", w.programme)):
        row = audited(session, lambda role=role: client.post(
            url, json={"body": f"From {role}"}, headers=w.h[role]), entity="cycle",
            action="feedback", site_id=w.site_a.id, actor_id=user.id, status=201, entity_id=cid)
        assert row["author_id"] == user.id
    for role, status in (("member", 403), ("lead", 403), ("other_facilitator", 404)):
        refused(session, lambda role=role: client.post(url, json={"body": "Mine"},
                                                       headers=w.h[role]), status)
    body = refused(session, lambda: client.post(url, json={"body": ""},
                                                headers=w.h["facilitator"]), 422)
    assert body["detail"][0]["field"] == "body"
    assert [f["body"] for f in ok(client.get(url, headers=w.h["member"]))] == [
        "From facilitator", "From programme"]


def _signed_off(client, lead, site_id, level) -> int:
    cid = open_cycle(client, lead, site_id)["id"]
    ok(client.put(f"{API}/cycles/{cid}/consensus", json=scores(level), headers=lead))
    ok(client.post(f"{API}/cycles/{cid}/consensus/sign-off", headers=lead))
    return cid


def test_the_progress_report_shows_only_signed_off_cycles_a_person_may_see(client, session, w):
    site_c = make_site(session, name="Site C", learning_set=w.set_a)
    lead_b = api_token(client, make_member(session, site=w.site_b, role="site_lead"))
    lead_c = api_token(client, make_member(session, site=site_c, role="site_lead"))
    a, b, c = w.site_a.id, w.site_b.id, site_c.id
    cycle_a = _signed_off(client, w.h["lead"], a, 2)
    _signed_off(client, lead_b, b, 3)
    cycle_c = open_cycle(client, lead_c, c)["id"]
    ok(client.put(f"{API}/cycles/{cycle_c}/consensus", json=scores(1), headers=lead_c))

    def seen(role, query="", headers=None):
        got = ok(client.get(f"{API}/reports/progress{query}", headers=headers or w.h[role]))
        return sorted({(r["site_id"], r["level"]) for r in got}), len(got)

    assert seen("programme") == ([(a, 2), (b, 3)], 20)
    assert seen("programme", f"?site_id={a}") == ([(a, 2)], 10)
    assert seen("programme", f"?learning_set_id={w.set_b.id}") == ([(b, 3)], 10)
    assert seen("programme", f"?site_id={a}&learning_set_id={w.set_b.id}") == ([], 0)
    assert seen("member") == ([(a, 2)], 10)
    assert seen("facilitator") == ([(a, 2)], 10)  # site C is theirs but not signed off
    assert seen("facilitator", f"?learning_set_id={w.set_a.id}") == ([(a, 2)], 10)
    assert seen("facilitator", f"?site_id={c}") == ([], 0)
    for role, query in (("member", f"?site_id={b}"), ("member", f"?learning_set_id={w.set_a.id}"),
                        ("facilitator", f"?site_id={b}"),
                        ("facilitator", f"?learning_set_id={w.set_b.id}"),
                        ("programme", "?site_id=999999"), ("programme", "?learning_set_id=999999")):
        response = client.get(f"{API}/reports/progress{query}", headers=w.h[role])
        assert response.status_code == 404, (role, query, response.text)
    ok(client.post(f"{API}/cycles/{cycle_c}/consensus/sign-off", headers=lead_c))
    assert seen("facilitator") == ([(a, 2), (c, 1)], 20)
    ok(client.post(f"{API}/cycles/{cycle_a}/consensus/reopen", json={"reason": "Recount"},
                   headers=w.h["lead"]))
    assert seen("facilitator") == ([(c, 1)], 10)
    row = ok(client.get(f"{API}/reports/progress?site_id={c}", headers=lead_c))[0]
    assert (row["cycle_id"], row["cycle_number"], row["stage"], row["challenge"]) == (
        cycle_c, 1, "assess", 1)


@pytest.mark.parametrize("query, field", [
    ("site_id=1 OR 1=1", "site_id"), ("site_id=1%3B DROP TABLE site", "site_id"),
    ("learning_set_id=1' OR '1'='1", "learning_set_id"), ("site_id=0", "site_id")])
def test_the_progress_report_refuses_malformed_ids(client, session, w, query, field):
    _signed_off(client, w.h["lead"], w.site_a.id, 2)
    sites_before = rows(session, "SELECT id FROM site ORDER BY id")
    body = refused(session, lambda: client.get(f"{API}/reports/progress?{query}",
                                               headers=w.h["programme"]), 422)
    assert [e["field"] for e in body["detail"]] == [field]
    assert rows(session, "SELECT id FROM site ORDER BY id") == sites_before


def test_the_act_stage_names_the_actions_still_without_an_outcome(client, session, w):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    advance_to(client, w.h["lead"], cid, "act")
    ok(client.post(f"{API}/cycles/{cid}/actions", headers=w.h["lead"],
                   json={"challenge": 3, "title": "A late idea"}), 201)
    ok(client.patch(f"{API}/cycles/{cid}", headers=w.h["lead"], json={"act_notes": "Next"}))
    detail = refused(session, lambda: client.post(f"{API}/cycles/{cid}/advance",
                                                  headers=w.h["lead"]), 409)["detail"]
    assert "1 still without one: “A late idea”." in detail
