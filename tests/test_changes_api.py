"""Changes that worked over JSON: the library's shape and filters (422 naming the field),
who sees what, a hidden name, sharing and withdrawing, and trying a change in a cycle
(201 with the new action, 409 and 422 with reasons, nothing changed when refused)."""

from sqlmodel import select

from imroc.models import Action, SharedChange
from imroc.models.discussion import Thread
from tests.change_factories import judged_action, ready_cycle, shared
from tests.core_loop import ok, refused
from tests.factories import api_token, make_member, make_site

API = "/api/v1"


def test_the_list_has_each_change_as_documented(client, session, w):
    change = shared(session, lead=w.lead, site=w.site_a)
    response = client.get(f"{API}/changes", headers=w.h["facilitator"])
    body = ok(response)
    assert response.headers["X-Total-Count"] == "1"
    assert body == [{
        "id": change.id, "challenge": 3, "outcome": "adopt", "scope": "learning_set",
        "learning_set_id": w.set_a.id,
        "site": {"id": w.site_a.id, "name": "Site A", "kind": "pilot"}, "label": "Site A",
        "title": "Peer workers join ward rounds",
        "what_was_done": "Two peer workers joined the morning ward round.",
        "prediction": "A third more people feel listened to",
        "result": "Half as many complaints", "measures": [], "adopted_count": 0,
        "shared_at": body[0]["shared_at"], "spread": None, "version": None}]
    own = ok(client.get(f"{API}/changes/{change.id}", headers=w.h["lead"]))
    assert own["version"] == 1 and own["spread"] == []


def test_filters_and_bad_filters(client, session, w):
    shared(session, lead=w.lead, site=w.site_a, title="Ward rounds")
    shared(session, lead=w.lead, site=w.site_a, title="College", challenge=5, outcome="adapt",
           notes="A course")
    h = w.h["programme"]
    assert [c["title"] for c in ok(client.get(f"{API}/changes?challenge=5", headers=h))] == [
        "College"]
    assert [c["title"] for c in ok(client.get(f"{API}/changes?q=ward", headers=h))] == [
        "Ward rounds"]
    assert len(ok(client.get(f"{API}/changes?outcome=adopt&outcome=adapt&kind=pilot",
                             headers=h))) == 2
    assert ok(client.get(f"{API}/changes?kind=demonstration", headers=h)) == []
    for query, field in (("challenge=11", "challenge"), ("kind=castle", "kind"),
                         ("outcome=abandon", "outcome"), ("q=" + "x" * 201, "q")):
        bad = client.get(f"{API}/changes?{query}", headers=h)
        assert bad.status_code == 422 and field in bad.text, (query, bad.text)


def test_another_sets_people_get_not_found_and_an_empty_list(client, session, w):
    change = shared(session, lead=w.lead, site=w.site_a)
    for role in ("member_b", "other_facilitator"):
        assert ok(client.get(f"{API}/changes", headers=w.h[role])) == []
        assert client.get(f"{API}/changes/{change.id}", headers=w.h[role]).status_code == 404


def test_a_hidden_name_is_null_with_a_label(client, session, w):
    change = shared(session, lead=w.lead, site=w.site_a, scope="programme", anonymised=True)
    for role in ("member_b", "programme", "facilitator"):
        for url in (f"{API}/changes", f"{API}/changes/{change.id}"):
            response = client.get(url, headers=w.h[role])
            assert "Site A" not in response.text and w.lead.name not in response.text
            item = response.json()[0] if url.endswith("changes") else response.json()
            assert item["site"] is None and item["label"] == "A pilot site in Set A"
    mine = ok(client.get(f"{API}/changes/{change.id}", headers=w.h["member"]))
    assert mine["site"]["name"] == "Site A" and mine["version"] is None  # not the lead


def test_sharing_and_withdrawing_over_the_api(client, session, w):
    action = judged_action(session, site=w.site_a, outcome="adapt")
    url = f"{API}/actions/{action.id}/share"
    made = ok(client.post(url, json={"scope": "programme", "anonymised": True},
                          headers=w.h["lead"]), 201)
    assert made["outcome"] == "adapt" and made["version"] == 1
    refused(session, lambda: client.post(url, json={"scope": "learning_set"},
                                         headers=w.h["lead"]), 422)
    changed = ok(client.post(url, json={"scope": "learning_set", "version": 1},
                             headers=w.h["lead"]), 200)
    assert changed["scope"] == "learning_set" and changed["version"] == 2
    refused(session, lambda: client.post(url, json={"scope": "programme"},
                                         headers=w.h["member"]), 403)
    refused(session, lambda: client.post(url, json={"scope": "programme"},
                                         headers=w.h["member_b"]), 404)
    stale = client.post(f"{API}/changes/{made['id']}/withdraw", json={"version": 1},
                        headers=w.h["lead"])
    assert stale.status_code == 409
    gone = client.post(f"{API}/changes/{made['id']}/withdraw", json={"version": 2},
                       headers=w.h["lead"])
    assert gone.status_code == 204
    assert client.get(f"{API}/changes/{made['id']}", headers=w.h["facilitator"]).status_code \
        == 404
    again = client.post(f"{API}/changes/{made['id']}/withdraw", json={"version": 3},
                        headers=w.h["lead"])
    assert again.status_code == 409 and "no longer shared" in again.text


def test_adopt_makes_an_action_linked_to_its_origin(client, session, w):
    site_c = make_site(session, name="Site C", learning_set=w.set_a)
    member_c = make_member(session, site=site_c)
    h = api_token(client, member_c)
    change = shared(session, lead=w.lead, site=w.site_a)
    cycle = ready_cycle(session, site=site_c)
    made = ok(client.post(f"{API}/changes/{change.id}/adopt", json={"cycle_id": cycle.id},
                          headers=h), 201)
    assert (made["origin_change_id"], made["cycle_id"], made["challenge"]) == (
        change.id, cycle.id, 3)
    listed = ok(client.get(f"{API}/changes", headers=h))
    assert listed[0]["adopted_count"] == 1
    trail = ok(client.get(f"{API}/changes/{change.id}", headers=w.h["facilitator"]))["spread"]
    assert trail[0]["site"]["name"] == "Site C" and trail[0]["cycle_id"] == cycle.id
    again = refused(session, lambda: client.post(f"{API}/changes/{change.id}/adopt",
                                                 json={"cycle_id": cycle.id}, headers=h), 409)
    assert "already in the action plan" in again["detail"]


def test_adopt_is_refused_into_another_sites_cycle_and_without_a_priority(client, session, w):
    change = shared(session, lead=w.lead, site=w.site_a, scope="programme")
    theirs = ready_cycle(session, site=w.site_a)
    body = refused(session, lambda: client.post(f"{API}/changes/{change.id}/adopt",
                                                json={"cycle_id": theirs.id},
                                                headers=w.h["member_b"]), 422)
    assert "cycle_id" in str(body["detail"])
    own = ready_cycle(session, site=w.site_b, challenges=(7,))
    body = refused(session, lambda: client.post(f"{API}/changes/{change.id}/adopt",
                                                json={"cycle_id": own.id},
                                                headers=w.h["member_b"]), 409)
    assert "not a priority of cycle 1" in body["detail"]
    refused(session, lambda: client.post(f"{API}/changes/{change.id}/adopt", json={},
                                         headers=w.h["member_b"]), 422)
    assert session.exec(select(Action).where(Action.cycle_id == own.id)).all() == []


def test_a_thread_is_about_a_change_where_all_its_readers_may_read_it(client, session, w):
    change = shared(session, lead=w.lead, site=w.site_a)
    thread = {"title": "How?", "text": "Tell us", "change_id": change.id}
    made = ok(client.post(f"{API}/learning-sets/{w.set_a.id}/threads", json=thread,
                          headers=w.h["member"]), 201)
    assert made["change_id"] == change.id and made["challenge"] == 3
    assert session.get(Thread, made["id"]).change_id == change.id
    body = refused(session, lambda: client.post(f"{API}/threads", json=thread,
                                                headers=w.h["member"]), 422)
    assert "change_id" in str(body["detail"])
    programme = shared(session, lead=w.lead, site=w.site_a, scope="programme")
    elsewhere = refused(session, lambda: client.post(
        f"{API}/learning-sets/{w.set_b.id}/threads", json={**thread, "change_id": change.id},
        headers=w.h["member_b"]), 422)
    assert "change_id" in str(elsewhere["detail"])
    ok(client.post(f"{API}/threads", json={**thread, "change_id": programme.id},
                   headers=w.h["member_b"]), 201)
    assert session.exec(select(SharedChange)).all()
