"""Learning sets and their meetings over the JSON API and the HTML forms."""


import pytest

from imroc.models import AuditEvent, LearningSet, LearningSetFacilitator, Meeting
from tests.checks import counts, error_beside, load, submit
from tests.factories import api_token, sign_in

TABLES = (LearningSet, LearningSetFacilitator, Meeting, AuditEvent)











def test_create_and_update_over_api(client, world):
    headers = api_token(client, world.programme)
    r = client.post("/api/v1/learning-sets", headers=headers, json={
        "name": "Set C", "region": "Wales", "facilitator_ids": [world.facilitator.id]})
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["name"], created["region"], created["facilitator_ids"], created["version"]) == \
        ("Set C", "Wales", [world.facilitator.id], 1)
    [event] = load(AuditEvent, entity="learning_set", entity_id=str(created["id"]))
    assert event.action == "create" and event.after["facilitator_ids"] == [world.facilitator.id]
    url = f"/api/v1/learning-sets/{created['id']}"
    r = client.patch(url, headers=headers, json={
        "name": "Set C renamed", "region": "Scotland", "version": 1,
        "facilitator_ids": [world.other_facilitator.id, world.facilitator.id]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["region"], body["version"]) == ("Set C renamed", "Scotland", 2)
    assert body["facilitator_ids"] == sorted([world.facilitator.id, world.other_facilitator.id])
    update = [e for e in load(AuditEvent, entity="learning_set") if e.action == "update"][0]
    assert update.before["facilitator_ids"] == [world.facilitator.id]
    assert update.after["name"] == "Set C renamed"
    assert client.get(url, headers=headers).json()["name"] == "Set C renamed"
    listed = client.get("/api/v1/learning-sets", headers=headers).json()
    assert [s["name"] for s in listed] == ["Set A", "Set B", "Set C renamed"]


def test_create_and_edit_through_the_pages(client, world):
    sign_in(client, world.programme)
    r = submit(client, "/learning-sets/new", "/learning-sets", {
        "name": "Set D", "region": "",
        "facilitator_ids": [str(world.facilitator.id), str(world.other_facilitator.id)]})
    assert r.status_code == 303, r.text
    [ls] = load(LearningSet, name="Set D")
    assert ls.region == "" and r.headers["location"] == f"/learning-sets/{ls.id}"
    page = client.get(f"/learning-sets/{ls.id}").text
    assert "Fay Facilitator" in page and "Otto Facilitator" in page
    r = submit(client, f"/learning-sets/{ls.id}/edit", f"/learning-sets/{ls.id}/edit", {
        "name": "Set D2", "region": "Midlands", "version": "1",
        "facilitator_ids": [str(world.facilitator.id)]})
    assert r.status_code == 303, r.text
    [ls] = load(LearningSet, id=ls.id)
    assert (ls.name, ls.region, ls.version) == ("Set D2", "Midlands", 2)
    assert [f.user_id for f in load(LearningSetFacilitator, learning_set_id=ls.id)] == \
        [world.facilitator.id]


@pytest.mark.parametrize("body, field", [
    ({"name": "Set C", "facilitator_ids": [99999]}, "facilitator_ids"),
    ({"name": "Set C", "facilitator_ids": ["x"]}, "facilitator_ids.0"),
    ({"name": "", "region": "Wales"}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Set A"}, "name"),
])
def test_bad_input_changes_nothing(client, world, body, field):
    headers = api_token(client, world.programme)
    before = counts(TABLES)
    r = client.post("/api/v1/learning-sets", headers=headers, json=body)
    assert r.status_code == 422
    assert field in [d["field"] for d in r.json()["detail"]]
    patch = dict(body, name="Set B") if body["name"] == "Set A" else body
    r = client.patch(f"/api/v1/learning-sets/{world.set_a.id}", headers=headers, json=patch)
    assert r.status_code == 422 and field in [d["field"] for d in r.json()["detail"]]
    assert counts(TABLES) == before and load(LearningSet, id=world.set_a.id)[0].version == 1


def test_unknown_facilitator_on_the_form(client, world):
    sign_in(client, world.programme)
    before = counts(TABLES)
    r = submit(client, "/learning-sets/new", "/learning-sets", {
        "name": "Typed set", "region": "Typed region", "facilitator_ids": ["99999"]})
    assert r.status_code == 422
    assert "99999" in error_beside(r.text, "facilitator_ids")
    assert 'value="Typed set"' in r.text and 'value="Typed region"' in r.text
    assert counts(TABLES) == before


def test_stale_version_is_409(client, world):
    headers = api_token(client, world.programme)
    url = f"/api/v1/learning-sets/{world.set_a.id}"
    r = client.patch(url, headers=headers, json={"name": "New A", "version": 1})
    assert r.status_code == 200
    before = counts(TABLES)
    r = client.patch(url, headers=headers, json={"name": "Mine", "version": 1})
    assert r.status_code == 409
    assert r.json()["current"]["name"] == "New A" and r.json()["current"]["version"] == 2
    sign_in(client, world.programme)
    page = f"/learning-sets/{world.set_a.id}/edit"
    r = submit(client, page, page, {"name": "Typed on the page", "region": "", "version": "1"})
    assert r.status_code == 409
    assert 'value="Typed on the page"' in r.text and "New A" in r.text
    assert counts(TABLES) == before and load(LearningSet, id=world.set_a.id)[0].name == "New A"


@pytest.mark.parametrize("who", ["programme", "facilitator"])
def test_meetings_by_programme_and_own_facilitator(client, world, who):
    headers = api_token(client, world.by_role(who))
    url = f"/api/v1/learning-sets/{world.set_a.id}"
    r = client.post(f"{url}/meetings", headers=headers,
                    json={"held_on": "2024-05-02", "title": "Second meeting"})
    assert r.status_code == 201, r.text
    assert r.json()["held_on"] == "2024-05-02" and r.json()["learning_set_id"] == world.set_a.id
    client.post(f"{url}/meetings", headers=headers,
                json={"held_on": "2024-03-14", "title": "First"})
    meetings = client.get(url, headers=headers).json()["meetings"]
    assert [(m["held_on"], m["title"]) for m in meetings] == \
        [("2024-03-14", "First"), ("2024-05-02", "Second meeting")]
    assert len([e for e in load(AuditEvent, entity="meeting")]) == 2


@pytest.mark.parametrize("who, status", [("other_facilitator", 404), ("member", 404),
                                         ("lead", 404), ("outsider", 404)])
def test_meetings_refused_to_others(client, world, who, status):
    headers = api_token(client, world.by_role(who))
    before = counts(TABLES)
    r = client.post(f"/api/v1/learning-sets/{world.set_a.id}/meetings", headers=headers,
                    json={"held_on": "2024-05-02", "title": "Not mine"})
    assert r.status_code == status
    assert counts(TABLES) == before


@pytest.mark.parametrize("body, field", [
    ({"held_on": "2024-02-30", "title": "T"}, "held_on"),
    ({"held_on": "soon", "title": "T"}, "held_on"),
    ({"title": "T"}, "held_on"),
    ({"held_on": "2024-02-01", "title": ""}, "title"),
])
def test_bad_meeting_is_422(client, world, body, field):
    headers = api_token(client, world.facilitator)
    before = counts(TABLES)
    r = client.post(f"/api/v1/learning-sets/{world.set_a.id}/meetings", headers=headers, json=body)
    assert r.status_code == 422 and field in [d["field"] for d in r.json()["detail"]]
    assert counts(TABLES) == before


def test_meeting_form(client, world):
    sign_in(client, world.facilitator)
    page = f"/learning-sets/{world.set_a.id}"
    before = counts(TABLES)
    r = submit(client, page, f"{page}/meetings", {"held_on-day": "31", "held_on-month": "02",
                                                  "held_on-year": "2024", "title": "Typed title"})
    assert r.status_code == 422
    assert "Date of the meeting must be a real date" in error_beside(r.text, "held_on")
    assert 'value="31"' in r.text and 'value="02"' in r.text and 'value="Typed title"' in r.text
    assert counts(TABLES) == before
    r = submit(client, page, f"{page}/meetings", {"held_on-day": "14", "held_on-month": "3",
                                                  "held_on-year": "2024", "title": "Kick-off"})
    assert r.status_code == 303
    assert "Kick-off" in client.get(page).text
    sign_in(client, world.other_facilitator)
    assert client.get(page).status_code == 404


def test_access_to_learning_sets(client, world):
    a, b = world.set_a.id, world.set_b.id
    fac = api_token(client, world.facilitator)
    assert [s["id"] for s in client.get("/api/v1/learning-sets", headers=fac).json()] == [a]
    assert client.get(f"/api/v1/learning-sets/{b}", headers=fac).status_code == 404
    for set_id, status in ((b, 404), (a, 403)):
        r = client.patch(f"/api/v1/learning-sets/{set_id}", headers=fac, json={"name": "X"})
        assert r.status_code == status
    assert client.post("/api/v1/learning-sets", headers=fac, json={"name": "X"}).status_code == 403
    member = api_token(client, world.member)
    assert client.get("/api/v1/learning-sets", headers=member).json() == []
    assert client.get(f"/api/v1/learning-sets/{a}", headers=member).status_code == 404
    prog = api_token(client, world.programme)
    assert client.get("/api/v1/learning-sets/99999", headers=prog).status_code == 404
    assert client.get("/api/v1/learning-sets/abc", headers=prog).status_code == 422
    token = sign_in(client, world.facilitator)
    assert client.get("/learning-sets/new").status_code == 403
    assert client.get(f"/learning-sets/{a}/edit").status_code == 403
    assert client.get(f"/learning-sets/{b}").status_code == 404
    r = client.post("/learning-sets", data={"csrf_token": token, "name": "Sneaky"})
    assert r.status_code == 403 and load(LearningSet, name="Sneaky") == []
    page = client.get("/learning-sets").text
    assert "Set A" in page and "Set B" not in page
