"""Sites over the JSON API and the HTML forms: defaults, history, conflicts, bad input, access."""


import pytest
from fastapi.testclient import TestClient

from imroc import clock
from imroc.models import AuditEvent, LearningSet, Membership, Site, SiteLearningSet
from imroc.services import audit
from tests.checks import counts, error_beside, load, submit
from tests.factories import api_token, csrf_from, sign_in

TABLES = (Site, SiteLearningSet, AuditEvent, LearningSet, Membership)








def site_form(**over) -> dict:
    """Every field of the site form as a browser sends it (blank ones included)."""
    data = {"name": "Form Site", "organisation": "", "kind": "demonstration",
            "learning_set_id": "", "region": "", "joined_on-day": "", "joined_on-month": "",
            "joined_on-year": "", "consultancy_days_allocated": ""}
    return data | over


def assert_field_error(page: str, field: str, words: str) -> None:
    """The message sits next to the field (id = name with hyphens) and the summary links to it."""
    fid = field.replace("_", "-")
    assert f'id="{fid}"' in page
    assert words in error_beside(page, field)



@pytest.mark.parametrize("kind, given, days", [
    ("pilot", None, 30), ("demonstration", None, 10), ("learning_set", None, 0), ("pilot", 12, 12)])
def test_api_create_defaults_days_from_kind_and_audits(client, world, kind, given, days):
    headers = api_token(client, world.programme)
    r = client.post("/api/v1/sites", headers=headers, json={
        "name": f"New {kind}", "kind": kind, "learning_set_id": world.set_a.id,
        "consultancy_days_allocated": given})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["consultancy_days_allocated"], body["consultancy_days_used"]) == (days, 0)
    assert body["version"] == 1 and body["archived"] is False
    [event] = load(AuditEvent, entity="site", entity_id=str(body["id"]))
    assert event.action == "create" and event.before is None
    assert (event.after["name"], event.after["consultancy_days_allocated"]) == (f"New {kind}", days)
    [period] = load(SiteLearningSet, site_id=body["id"])
    assert period.learning_set_id == world.set_a.id and period.left_on is None


def test_form_create_with_blank_optional_fields(client, world):
    sign_in(client, world.programme)
    r = submit(client, "/sites/new", "/sites", site_form(region="North East"))
    assert r.status_code == 303, r.text
    [site] = load(Site, name="Form Site")
    assert r.headers["location"] == f"/sites/{site.id}"
    assert (site.consultancy_days_allocated, site.consultancy_days_used) == (10, 0)
    assert site.organisation == "" and site.region == "North East"
    assert [e.action for e in load(AuditEvent, entity="site")] == ["create"]


def test_edit_over_api_and_form_audits_before_and_after(client, world):
    headers = api_token(client, world.programme)
    site_id = world.site_a.id
    r = client.patch(f"/api/v1/sites/{site_id}", headers=headers,
                     json={"region": "London", "consultancy_days_allocated": 34, "version": 1})
    assert r.status_code == 200, r.text
    assert [r.json()[k] for k in ("region", "consultancy_days_allocated", "version")] == [
        "London", 34, 2]
    [event] = load(AuditEvent, entity="site")
    assert event.action == "update" and event.actor_id == world.programme.id
    assert (event.before["region"], event.after["region"]) == ("North West", "London")
    sign_in(client, world.programme)
    assert 'value="London"' in client.get(f"/sites/{site_id}/edit").text
    r = submit(client, f"/sites/{site_id}/edit", f"/sites/{site_id}/edit", site_form(
        name="Site A renamed", kind="pilot", learning_set_id=str(world.set_b.id),
        consultancy_days_allocated="35", version="2"))
    assert r.status_code == 303, r.text
    [site] = load(Site, id=site_id)
    assert (site.name, site.organisation, site.consultancy_days_allocated, site.version,
            site.learning_set_id) == ("Site A renamed", "", 35, 3, world.set_b.id)
    [period] = load(SiteLearningSet, site_id=site_id)  # moved through the form
    assert (period.learning_set_id, period.left_on) == (world.set_b.id, None)
    last = load(AuditEvent, entity="site")[-1]
    assert (last.before["name"], last.after["name"]) == ("Site A", "Site A renamed")


def test_list_archive_and_restore(client, world):
    headers = api_token(client, world.programme)

    def names(query: str = "") -> list[str]:
        return [s["name"] for s in client.get(f"/api/v1/sites{query}", headers=headers).json()]

    assert names() == ["Site A", "Site B"]
    r = client.patch(f"/api/v1/sites/{world.site_b.id}", headers=headers, json={"archived": True})
    assert r.status_code == 200 and r.json()["archived"] is True
    assert names() == ["Site A"]
    assert names("?include_archived=true") == ["Site A", "Site B"]
    sign_in(client, world.programme)
    assert "Site B" not in client.get("/sites").text
    b = f"/sites/{world.site_b.id}"
    assert submit(client, b, f"{b}/archive", {"archive": "false"}).status_code == 303
    assert names() == ["Site A", "Site B"]
    assert [e.action for e in load(AuditEvent, entity="site")] == ["archive", "update"]


def test_moving_learning_set_keeps_history(client, world):
    headers = api_token(client, world.programme)
    site = client.post("/api/v1/sites", headers=headers, json={
        "name": "Mover", "kind": "pilot", "learning_set_id": world.set_a.id}).json()
    r = client.patch(f"/api/v1/sites/{site['id']}", headers=headers,
                     json={"learning_set_id": world.set_b.id, "version": site["version"]})
    assert r.status_code == 200 and r.json()["learning_set_id"] == world.set_b.id
    old, new = load(SiteLearningSet, site_id=site["id"])
    assert (old.learning_set_id, old.left_on) == (world.set_a.id, clock.today())
    assert (new.learning_set_id, new.joined_on, new.left_on) == (world.set_b.id, clock.today(), None)
    event = load(AuditEvent, entity="site")[-1]
    assert (event.before["learning_set_id"], event.after["learning_set_id"]) == \
        (world.set_a.id, world.set_b.id)
    sign_in(client, world.programme)
    page = client.get(f"/sites/{site['id']}").text
    assert "Set A" in page and "Set B" in page and "Now" in page
    # and back again on the same day
    r = client.patch(f"/api/v1/sites/{site['id']}", headers=headers,
                     json={"learning_set_id": world.set_a.id})
    assert r.status_code == 200, r.text
    open_rows = [p for p in load(SiteLearningSet, site_id=site["id"]) if p.left_on is None]
    assert [p.learning_set_id for p in open_rows] == [world.set_a.id]


def test_stale_version_over_api_is_409_with_current(client, world):
    headers = api_token(client, world.programme)
    url = f"/api/v1/sites/{world.site_a.id}"
    r = client.patch(url, headers=headers, json={"name": "First", "version": 1})
    assert r.status_code == 200
    before = counts(TABLES)
    r = client.patch(url, headers=headers, json={"name": "Second", "version": 1})
    assert r.status_code == 409
    assert r.json()["current"]["name"] == "First" and r.json()["current"]["version"] == 2
    assert counts(TABLES) == before and load(Site, id=world.site_a.id)[0].name == "First"


def test_stale_version_on_form_keeps_typed_values_and_shows_current(client, world):
    sign_in(client, world.programme)
    url = f"/sites/{world.site_a.id}/edit"
    token = csrf_from(client.get(url).text)
    client.patch(f"/api/v1/sites/{world.site_a.id}", headers=api_token(client, world.programme),
                 json={"name": "Renamed elsewhere"})
    r = client.post(url, data={"csrf_token": token, **site_form(
        name="My typed name", kind="demonstration", region="My typed region",
        learning_set_id=str(world.set_b.id), consultancy_days_allocated="30", version="1")})
    assert r.status_code == 409
    assert 'value="My typed name"' in r.text and 'value="My typed region"' in r.text
    assert '<option value="demonstration" selected' in r.text
    assert f'<option value="{world.set_b.id}" selected' in r.text
    assert "Renamed elsewhere" in r.text
    assert 'name="version" value="2"' in r.text and 'href="#version"' in r.text
    assert load(Site, id=world.site_a.id)[0].name == "Renamed elsewhere"


def test_audit_row_is_in_the_same_transaction(app, world, monkeypatch):
    """If the audit row cannot be written, the change is not written either."""
    real = audit.record

    def broken(session, **kwargs):
        event = real(session, **kwargs)
        event.actor_id = 10**9  # no such person: the insert fails at commit
        return event

    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    headers = api_token(client, world.programme)
    before = counts(TABLES)
    monkeypatch.setattr(audit, "record", broken)
    r = client.patch(f"/api/v1/sites/{world.site_a.id}", headers=headers, json={"name": "Lost"})
    assert r.status_code == 500
    r = client.post("/api/v1/sites", headers=headers, json={"name": "Lost too", "kind": "pilot"})
    assert r.status_code == 500
    assert counts(TABLES) == before and load(Site, id=world.site_a.id)[0].name == "Site A"


BAD = [  # (json, field, words on the page)
    ({"kind": "pilot"}, "name", "Enter"),
    ({"name": "x" * 201, "kind": "pilot"}, "name", "200 characters or fewer"),
    ({"name": "N", "kind": "pilot", "consultancy_days_allocated": "lots"},
     "consultancy_days_allocated", "whole number"),
    ({"name": "N", "kind": "pilot", "consultancy_days_allocated": -1},
     "consultancy_days_allocated", "0 or more"),
    ({"name": "N", "kind": "castle"}, "kind", "Select a kind"),
    ({"name": "N", "kind": "pilot", "learning_set_id": 99999}, "learning_set_id",
     "Select a learning set"),
    ({"name": "Site A", "kind": "pilot"}, "name", "already has this name"),
]


@pytest.mark.parametrize("body, field, words", BAD)
def test_bad_input_over_api_changes_nothing(client, world, body, field, words):
    headers = api_token(client, world.programme)
    before = counts(TABLES)
    r = client.post("/api/v1/sites", headers=headers, json=body)
    assert r.status_code == 422
    assert field in [d["field"] for d in r.json()["detail"]]
    patch = {"name": "Site B"} if body.get("name") == "Site A" else {field: body.get(field)}
    r = client.patch(f"/api/v1/sites/{world.site_a.id}", headers=headers, json=patch)
    assert r.status_code == 422 and field in [d["field"] for d in r.json()["detail"]]
    assert counts(TABLES) == before and load(Site, id=world.site_a.id)[0].version == 1


@pytest.mark.parametrize("body, field, words", BAD)
def test_bad_input_on_form_shows_reason_and_keeps_typing(client, world, body, field, words):
    sign_in(client, world.programme)
    before = counts(TABLES)
    typed = site_form(name="", region="Typed region") | {k: str(v) for k, v in body.items()}
    r = submit(client, "/sites/new", "/sites", typed)
    assert r.status_code == 422
    assert_field_error(r.text, field, words)
    for key in ("name", "region", "consultancy_days_allocated"):
        assert f'value="{typed[key]}"' in r.text
    if field != "kind":
        assert f'<option value="{typed["kind"]}" selected' in r.text
    assert counts(TABLES) == before


def test_bad_input_on_edit_form(client, world):
    sign_in(client, world.programme)
    url = f"/sites/{world.site_a.id}/edit"
    before = counts(TABLES)
    good = {"name": "Site A", "kind": "pilot", "region": "Kept", "version": "1",
            "consultancy_days_allocated": "30"}
    for typed, field, words in [({"name": ""}, "name", "Enter"),
                                ({"consultancy_days_allocated": "-1"},
                                 "consultancy_days_allocated", "0 or"),
                                ({"consultancy_days_allocated": ""}, "consultancy_days_allocated",
                                 "Enter")]:
        r = submit(client, url, url, site_form(**good | typed))
        assert r.status_code == 422
        assert_field_error(r.text, field, words)
        assert 'value="Kept"' in r.text and counts(TABLES) == before


@pytest.mark.parametrize("who, visible", [
    ("member", ["Site A"]), ("lead", ["Site A"]), ("facilitator", ["Site A"]),
    ("other_facilitator", ["Site B"]), ("programme", ["Site A", "Site B"]),
    ("admin", ["Site A", "Site B"]), ("outsider", []),
])
def test_lists_show_only_visible_sites(client, world, who, visible):
    user = world.by_role(who)
    r = client.get("/api/v1/sites", headers=api_token(client, user))
    assert [s["name"] for s in r.json()] == visible
    sign_in(client, user)
    page = client.get("/sites").text
    for name in ("Site A", "Site B"):
        assert (name in page) == (name in visible)
    for site in (world.site_a, world.site_b):
        assert client.get(f"/sites/{site.id}").status_code == (200 if site.name in visible else 404)


def test_member_of_a_cannot_see_b_nor_change_sites(client, world):
    headers = api_token(client, world.member)
    before = counts(TABLES)
    b, a = world.site_b.id, world.site_a.id
    assert client.get(f"/api/v1/sites/{b}", headers=headers).status_code == 404
    for site_id, status in ((b, 404), (a, 403)):
        r = client.patch(f"/api/v1/sites/{site_id}", headers=headers, json={"name": "X"})
        assert r.status_code == status
    assert client.post("/api/v1/sites", headers=headers,
                       json={"name": "X", "kind": "pilot"}).status_code == 403
    token = sign_in(client, world.member)
    assert client.get(f"/sites/{a}").status_code == 200
    for path in (f"/sites/{b}", f"/sites/{b}/edit", f"/sites/{b}/members", f"/sites/{b}/audit"):
        assert client.get(path).status_code == 404, path
    assert client.get("/sites/new").status_code == 403
    assert client.get(f"/sites/{a}/edit").status_code == 403
    form = {"csrf_token": token, **site_form(kind="pilot", version="1")}
    for action, status in (("/sites", 403), (f"/sites/{a}/edit", 403),
                           (f"/sites/{a}/archive", 403), (f"/sites/{b}/edit", 404)):
        assert client.post(action, data=form).status_code == status, action
    assert counts(TABLES) == before


def test_unknown_and_malformed_ids(client, world):
    headers = api_token(client, world.programme)
    assert client.get("/api/v1/sites/99999", headers=headers).status_code == 404
    assert client.patch("/api/v1/sites/99999", headers=headers, json={}).status_code == 404
    r = client.get("/api/v1/sites/abc", headers=headers)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "site_id"
    sign_in(client, world.programme)
    for path, status in (("/sites/99999", 404), ("/sites/99999/edit", 404), ("/sites/abc", 422)):
        assert client.get(path).status_code == status
