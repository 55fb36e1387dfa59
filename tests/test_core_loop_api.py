"""The whole PDSA loop through the JSON API: one site, three cycles, every perspective."""

from sqlmodel import select

from imroc.models import Action
from tests.factories import World, api_token, make_member

PERSPECTIVES = ["staff", "lived_experience", "carer", "partner"]


def _raters(session, world):
    raters = [world.lead]
    for p in PERSPECTIVES:
        raters.append(make_member(session, site=world.site_a, perspective=p))
    return raters


def _rate_all(client, headers, cycle_id, base):
    body = {"ratings": [{"challenge": c, "level": (base + c) % 4, "comment": f"evidence {c}"}
                        for c in range(1, 11)]}
    r = client.put(f"/api/v1/cycles/{cycle_id}/ratings", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def run_cycle(client, lead, raters, site_id, number, expect_carried):
    cycles = client.get(f"/api/v1/sites/{site_id}/cycles", headers=lead).json()
    if number == 1:
        r = client.post(f"/api/v1/sites/{site_id}/cycles",
                        json={"started_on": "2024-01-08", "review_due_on": "2024-04-08"},
                        headers=lead)
        assert r.status_code == 201, r.text
        cycle = r.json()
    else:
        cycle = cycles[-1]
    assert cycle["number"] == number and cycle["stage"] == "assess"
    cid = cycle["id"]

    # Cycle N>1 starts from the last agreed levels, each to be re-confirmed.
    consensus = client.get(f"/api/v1/cycles/{cid}/consensus", headers=lead).json()
    if number > 1:
        assert len(consensus["scores"]) == 10
        assert all(s["to_reconfirm"] for s in consensus["scores"])
        actions = client.get(f"/api/v1/cycles/{cid}/actions", headers=lead).json()
        assert sorted(a["carried_from_id"] for a in actions) == sorted(expect_carried)
    else:
        assert consensus["scores"] == []

    for i, rater in enumerate(raters):
        _rate_all(client, rater, cid, base=number + i)
    everyone = client.get(f"/api/v1/cycles/{cid}/ratings", headers=lead).json()["ratings"]
    assert len(everyone) == 10 * len(raters)
    assert {r["perspective"] for r in everyone} == set(PERSPECTIVES)

    # Advancing before sign-off is refused with the reason.
    r = client.post(f"/api/v1/cycles/{cid}/advance", headers=lead)
    assert r.status_code == 409 and "signed off" in r.json()["detail"]

    scores = [{"challenge": c, "level": min(3, number), "rationale": f"agreed {c}"}
              for c in range(1, 11)]
    r = client.put(f"/api/v1/cycles/{cid}/consensus", json={"scores": scores}, headers=lead)
    assert r.status_code == 200, r.text
    assert not any(s["to_reconfirm"] for s in r.json()["scores"])
    r = client.post(f"/api/v1/cycles/{cid}/consensus/sign-off", headers=lead)
    assert r.status_code == 200 and r.json()["signed_off"] is True
    # Locked: ratings and consensus can no longer change.
    assert client.put(f"/api/v1/cycles/{cid}/ratings", headers=raters[1], json={
        "ratings": [{"challenge": 1, "level": 0}]}).status_code == 409

    assert client.post(f"/api/v1/cycles/{cid}/advance", headers=lead).json()["stage"] == "plan"
    r = client.put(f"/api/v1/cycles/{cid}/priorities", headers=lead, json={"priorities": [
        {"challenge": c, "rank": rank, "target_level": 3, "reason": "matters most"}
        for rank, c in enumerate([7, 3, 5], start=1)]})
    assert r.status_code == 200, r.text
    ids = []
    for c in (7, 3, 5):
        for title in ("first step", "second step"):
            r = client.post(f"/api/v1/cycles/{cid}/actions", headers=raters[2], json={
                "challenge": c, "title": f"{title} on {c}", "owner": "Sam",
                "due_on": "2024-03-01"})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    r = client.patch(f"/api/v1/cycles/{cid}", headers=raters[1], json={
        "aim": "More co-produced care plans", "prediction": "Half of plans co-produced",
        "measures": "Audit of 20 plans"})
    assert r.status_code == 200, r.text
    assert client.post(f"/api/v1/cycles/{cid}/advance", headers=lead).json()["stage"] == "do"

    every = client.get(f"/api/v1/cycles/{cid}/actions", headers=lead).json()
    for i, action in enumerate(every):
        status = ["done", "in_progress", "blocked", "dropped", "not_started", "done"][i % 6]
        r = client.patch(f"/api/v1/actions/{action['id']}", headers=raters[3],
                         json={"status": status, "version": action["version"]})
        assert r.status_code == 200, r.text
    client.patch(f"/api/v1/cycles/{cid}", headers=lead, json={"do_notes": "We ran it."})
    assert client.post(f"/api/v1/cycles/{cid}/advance", headers=lead).json()["stage"] == "study"
    every = client.get(f"/api/v1/cycles/{cid}/actions", headers=lead).json()
    for action in every:
        r = client.patch(f"/api/v1/actions/{action['id']}", headers=lead,
                         json={"outcome": "adapt", "version": action["version"]})
        assert r.status_code == 200, r.text
    client.patch(f"/api/v1/cycles/{cid}", headers=lead,
                 json={"study_notes": "Fewer than predicted."})
    assert client.post(f"/api/v1/cycles/{cid}/advance", headers=lead).json()["stage"] == "act"
    client.patch(f"/api/v1/cycles/{cid}", headers=lead, json={"act_notes": "Adapt and retest."})
    r = client.post(f"/api/v1/cycles/{cid}/advance", headers=lead)
    assert r.status_code == 200 and r.json()["stage"] == "closed"
    unfinished = [a["id"] for a in every if a["status"] in ("in_progress", "blocked",
                                                             "not_started")]
    return cid, unfinished


def test_three_cycles_through_the_api(client, session):
    world = World(session)
    raters = _raters(session, world)
    heads = [api_token(client, u) for u in raters]
    lead = heads[0]
    carried: list[int] = []
    for number in (1, 2, 3):
        _cid, carried = run_cycle(client, lead, heads, world.site_a.id, number, carried)
    cycles = client.get(f"/api/v1/sites/{world.site_a.id}/cycles", headers=lead).json()
    assert [(c["number"], c["stage"]) for c in cycles] == [
        (1, "closed"), (2, "closed"), (3, "closed"), (4, "assess")]
    carried_rows = session.exec(select(Action).where(Action.cycle_id == cycles[3]["id"])).all()
    assert len(carried_rows) == len(carried) > 0
    origins = {session.get(Action, a.carried_from_id).cycle_id for a in carried_rows}
    assert origins == {cycles[2]["id"]}

    progress = client.get(f"/api/v1/reports/progress?site_id={world.site_a.id}",
                          headers=lead).json()
    assert len(progress) == 30
    assert {(p["cycle_number"], p["level"]) for p in progress if p["challenge"] == 1} == {
        (1, 1), (2, 2), (3, 3)}
