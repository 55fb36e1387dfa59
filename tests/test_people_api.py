"""The people API: search, filters and pages; one person and their memberships; changes by
administrators only, reading by the programme team too; and every refusal."""

import pytest
from sqlmodel import select

from imroc.models import AuditEvent, AuthSession, Membership, User
from tests.checks import counts, load
from tests.factories import api_token, make_member, make_user

TABLES = (User, Membership, AuditEvent)


def _names(body) -> list[str]:
    return [p["name"] for p in body["items"]]


def test_search_filters_and_pages(client, session, world):
    for n in range(30):
        make_member(session, site=world.site_b, user=make_user(
            session, name=f"Zed Paged {n:02}", email=f"zed{n:02}@trust.example.org"))
    make_user(session, name="Gone Person", email="gone@example.org", active=False)
    h = api_token(client, world.admin)

    first = client.get("/api/v1/users?q=zed&limit=25", headers=h).json()
    assert first["total"] == 30 and len(first["items"]) == 25
    assert _names(first)[0] == "Zed Paged 00" and first["limit"] == 25
    rest = client.get("/api/v1/users?q=ZED&limit=25&offset=25", headers=h).json()
    assert _names(rest) == [f"Zed Paged {n}" for n in range(25, 30)]
    by_email = client.get("/api/v1/users?q=zed07@trust", headers=h).json()
    assert _names(by_email) == ["Zed Paged 07"]
    # A wildcard typed in the search is a character, not a pattern.
    assert client.get("/api/v1/users?q=%25", headers=h).json()["total"] == 0

    def names(query: str) -> set[str]:
        body = client.get(f"/api/v1/users?limit=100&{query}", headers=h).json()
        assert body["total"] == len(body["items"])
        return set(_names(body))

    assert names("role=site_lead") == {world.lead.name}
    assert names(f"role=site_member&site_id={world.site_a.id}") == {world.member.name}
    assert names("role=facilitator") == {"Fay Facilitator", "Otto Facilitator"}
    assert names(f"role=facilitator&learning_set_id={world.set_b.id}") == {"Otto Facilitator"}
    assert names("role=programme_team") == {"Pat Programme"}
    assert names("role=none") == {"Olly Outsider", "Gone Person"}
    assert names(f"learning_set_id={world.set_a.id}") == {
        world.member.name, world.lead.name, "Fay Facilitator"}
    assert names("active=false") == {"Gone Person"}
    assert len(names(f"site_id={world.site_b.id}")) == 31


def test_one_person_with_memberships_and_sign_in_method(client, world):
    h = api_token(client, world.programme)  # the programme team may read
    body = client.get(f"/api/v1/users/{world.lead.id}", headers=h).json()
    assert body["sign_in_method"] == "password" and body["email"] == world.lead.email
    [m] = body["memberships"]
    assert (m["site_name"], m["role"]) == ("Site A", "site_lead")
    assert client.get(f"/api/v1/users/{world.facilitator.id}", headers=h).json()[
        "facilitated_learning_set_ids"] == [world.set_a.id]
    listed = client.get(f"/api/v1/users/{world.lead.id}/memberships", headers=h).json()
    assert listed == body["memberships"]
    assert client.get("/api/v1/users/999999", headers=h).status_code == 404


def test_admin_creates_changes_and_places_a_person(client, world):
    h = api_token(client, world.admin)
    made = client.post("/api/v1/users", headers=h, json={
        "email": "Api.Person@Example.org", "name": "Api Person",
        "password": "a-long-enough-password"})
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    assert made.json()["email"] == "api.person@example.org"
    joined = client.post(f"/api/v1/users/{pid}/memberships", headers=h, json={
        "site_id": world.site_b.id, "role": "site_lead", "perspective": "carer"})
    assert joined.status_code == 201, joined.text
    assert joined.json()["site_name"] == "Site B"
    again = client.post(f"/api/v1/users/{pid}/memberships", headers=h, json={
        "site_id": world.site_b.id, "role": "site_member", "perspective": "carer"})
    assert again.status_code == 422 and "already a member of Site B" in again.text
    changed = client.patch(f"/api/v1/users/{pid}", headers=h, json={"name": "Api Renamed"})
    assert changed.status_code == 200 and changed.json()["name"] == "Api Renamed"
    gone = client.delete(f"/api/v1/memberships/{joined.json()['id']}", headers=h)
    assert gone.status_code == 204
    assert load(Membership, user_id=pid) == []
    assert client.delete(f"/api/v1/memberships/{joined.json()['id']}",
                         headers=h).status_code == 404
    actions = {e.action for e in load(AuditEvent)}
    assert {"create", "add_member", "update", "remove_member"} <= actions


def test_deactivating_through_the_api_ends_the_persons_tokens(client, world):
    theirs = api_token(client, world.member)
    h = api_token(client, world.admin)
    r = client.patch(f"/api/v1/users/{world.member.id}", headers=h, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert client.get("/api/v1/me", headers=theirs).status_code == 401
    assert all(s.revoked_at for s in load(AuthSession, user_id=world.member.id))


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("GET", "/api/v1/users?limit=0", None, "limit"),
    ("GET", "/api/v1/users?limit=101", None, "limit"),
    ("GET", "/api/v1/users?offset=-1", None, "offset"),
    ("GET", "/api/v1/users?role=wizard", None, "role"),
    ("GET", "/api/v1/users?site_id=0", None, "site_id"),
    ("GET", "/api/v1/users?active=perhaps", None, "active"),
    ("POST", "/api/v1/users", {"email": "not-an-address", "name": "X",
                               "password": "a-long-enough-password"}, "email"),
    ("POST", "/api/v1/users", {"email": "{admin}", "name": "X",
                               "password": "a-long-enough-password"}, "email"),
    ("PATCH", "/api/v1/users/{member}", {"name": ""}, "name"),
    ("PATCH", "/api/v1/users/{admin_id}", {"is_active": False}, "is_active"),
    ("POST", "/api/v1/users/{member}/memberships", {"site_id": 99999, "role": "site_member",
                                                    "perspective": "staff"}, "site_id"),
    ("POST", "/api/v1/users/{member}/memberships", {"site_id": "{site_b}", "role": "chief",
                                                    "perspective": "staff"}, "role"),
])
def test_bad_input_is_422_naming_the_field(client, world, method, path, body, field):
    h = api_token(client, world.admin)
    ids = {"member": world.member.id, "admin_id": world.admin.id}
    path = path.replace("{member}", str(ids["member"])).replace("{admin_id}",
                                                                str(ids["admin_id"]))
    if body:
        body = {k: (world.admin.email if v == "{admin}" else world.site_b.id
                    if v == "{site_b}" else v) for k, v in body.items()}
    before = counts(TABLES)
    r = client.request(method, path, headers=h, json=body)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert counts(TABLES) == before


@pytest.mark.parametrize("who", ["member", "lead", "facilitator"])
def test_people_outside_the_programme_team_cannot_look_people_up(client, world, who):
    h = api_token(client, world.by_role(who))
    for path in ("/api/v1/users", f"/api/v1/users/{world.member.id}",
                 f"/api/v1/users/{world.member.id}/memberships"):
        assert client.get(path, headers=h).status_code == 403


def test_the_programme_team_reads_but_cannot_change(client, session, world):
    h = api_token(client, world.programme)
    membership = session.exec(select(Membership).where(
        Membership.user_id == world.member.id)).one()
    before = counts(TABLES)
    refused = [
        client.post("/api/v1/users", headers=h, json={
            "email": "x@example.org", "name": "X", "password": "a-long-enough-password"}),
        client.patch(f"/api/v1/users/{world.member.id}", headers=h, json={"name": "Y"}),
        client.post(f"/api/v1/users/{world.member.id}/memberships", headers=h, json={
            "site_id": world.site_b.id, "role": "site_member", "perspective": "staff"}),
        client.delete(f"/api/v1/memberships/{membership.id}", headers=h),
    ]
    assert [r.status_code for r in refused] == [403] * 4
    assert counts(TABLES) == before
    assert client.get("/api/v1/users", headers=h).status_code == 200


def test_a_stale_change_of_a_person_is_refused_and_changes_nothing(client, world):
    h = api_token(client, world.admin)
    seen = client.get(f"/api/v1/users/{world.member.id}", headers=h).json()
    first = client.patch(f"/api/v1/users/{world.member.id}", headers=h,
                         json={"name": "First Change", "version": seen["version"]})
    assert first.status_code == 200 and first.json()["version"] == seen["version"] + 1
    before = counts(TABLES)
    stale = client.patch(f"/api/v1/users/{world.member.id}", headers=h,
                         json={"is_active": False, "version": seen["version"]})
    assert stale.status_code == 409, stale.text
    assert stale.json()["current"]["name"] == "First Change"
    assert stale.json()["current"]["version"] == seen["version"] + 1
    assert counts(TABLES) == before
    [member] = load(User, id=world.member.id)
    assert member.is_active and member.name == "First Change"
    # Saving again from the newer version wins; an unchanged save moves nothing on.
    again = client.patch(f"/api/v1/users/{world.member.id}", headers=h,
                         json={"is_active": False, "version": seen["version"] + 1})
    assert again.status_code == 200 and again.json()["is_active"] is False
    same = client.patch(f"/api/v1/users/{world.member.id}", headers=h,
                        json={"is_active": False, "version": seen["version"] + 2})
    assert same.status_code == 200 and same.json()["version"] == seen["version"] + 2
