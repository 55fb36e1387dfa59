"""People (admin pages and the CLI), steering-group members, and who reads the audit trail."""


import pytest
from typer.testing import CliRunner

from imroc.cli.app import app as cli
from imroc.models import AuditEvent, LearningSetFacilitator, Membership, User
from tests.checks import counts, error_beside, load, submit
from tests.factories import api_token, csrf_from, make_user, sign_in

TABLES = (User, Membership, LearningSetFacilitator, AuditEvent)
NEW_PASSWORD = "a-long-enough-secret-42"











# --- administrators manage people --------------------------------------------------------

def test_admin_creates_a_person(client, world):
    sign_in(client, world.admin)
    r = submit(client, "/admin/users/new", "/admin/users", {
        "email": "New.Person@Example.org", "name": "New Person", "password": NEW_PASSWORD,
        "global_role": "programme_team"})
    assert r.status_code == 303, r.text
    [user] = load(User, email="new.person@example.org")
    assert (user.name, user.global_role, user.is_active) == ("New Person", "programme_team", True)
    assert NEW_PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2id$")
    [event] = load(AuditEvent, entity="user", entity_id=str(user.id))
    assert event.action == "create" and event.actor_id == world.admin.id
    assert "password_hash" not in event.after
    assert "new.person@example.org" in client.get("/admin/users").text
    assert client.post("/api/v1/auth/token", data={"username": "new.person@example.org",
                                                   "password": NEW_PASSWORD}).status_code == 200


@pytest.mark.parametrize("form, field, words", [
    ({"email": "short@example.org", "name": "Typed Name", "password": "tooshort-1"},
     "password", "at least 12 characters"),
    ({"email": "PERSON-DUP@example.org", "name": "Typed Name", "password": "short"},
     "password", "at least 12"),
    ({"email": "not-an-email", "name": "Typed Name", "password": "tooshort-2"}, "email",
     "correct format"),
    ({"email": "person-dup@EXAMPLE.org", "name": "Typed Name", "password": NEW_PASSWORD},
     "email", "already has an account"),
])
def test_bad_new_person_never_echoes_the_password(client, world, session, form, field, words):
    make_user(session, email="person-dup@example.org")
    sign_in(client, world.admin)
    before = counts(TABLES)
    r = submit(client, "/admin/users/new", "/admin/users", form)
    assert r.status_code == 422
    assert words in error_beside(r.text, field)
    assert form["password"] not in r.text
    assert 'value="Typed Name"' in r.text and f'value="{form["email"]}"' in r.text
    assert counts(TABLES) == before


def test_admin_edits_and_deactivates(client, world):
    victim = api_token(client, world.member)
    sign_in(client, world.admin)
    url = f"/admin/users/{world.member.id}/edit"
    r = submit(client, url, url, {"name": "Renamed Member", "global_role": "programme_team",
                                  "is_active": "true"})
    assert r.status_code == 303, r.text
    [user] = load(User, id=world.member.id)
    assert (user.name, user.global_role) == ("Renamed Member", "programme_team")
    event = load(AuditEvent, entity="user", entity_id=str(user.id))[-1]
    assert (event.before["name"], event.after["name"]) == (world.member.name, "Renamed Member")
    assert client.get("/api/v1/sites", headers=victim).status_code == 200
    r = submit(client, url, url, {"name": "Renamed Member", "global_role": "",
                                  "is_active": "false"})
    assert r.status_code == 303
    [user] = load(User, id=world.member.id)
    assert user.is_active is False and user.global_role is None
    assert client.get("/api/v1/sites", headers=victim).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": user.email,
                                                   "password": "correct-horse-battery"}
                       ).status_code != 200


def test_admin_cannot_deactivate_self(client, world):
    sign_in(client, world.admin)
    url = f"/admin/users/{world.admin.id}/edit"
    before = counts(TABLES)
    r = submit(client, url, url, {"name": "Ada Admin", "global_role": "admin",
                                  "is_active": "false"})
    assert r.status_code == 422
    assert "your own account" in error_beside(r.text, "is_active")
    assert load(User, id=world.admin.id)[0].is_active is True and counts(TABLES) == before
    assert client.get("/admin/users").status_code == 200


@pytest.mark.parametrize("who", ["member", "lead", "facilitator", "programme", "outsider"])
def test_non_admins_are_forbidden(client, world, who):
    token = sign_in(client, world.by_role(who))
    before = counts(TABLES)
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{world.member.id}/edit",
                 "/admin/audit"):
        assert client.get(path).status_code == 403, path
    r = client.post("/admin/users", data={"csrf_token": token, "email": "x@example.org",
                                          "name": "X", "password": NEW_PASSWORD})
    assert r.status_code == 403
    r = client.post(f"/admin/users/{world.member.id}/edit",
                    data={"csrf_token": token, "name": "Hacked"})
    assert r.status_code == 403 and counts(TABLES) == before


# --- site leads manage their steering group ------------------------------------------------

def test_lead_adds_and_removes_members(client, world, session):
    newcomer = make_user(session, name="Nia Newcomer", email="nia@example.org")
    sign_in(client, world.lead)
    page = f"/sites/{world.site_a.id}/members"
    r = submit(client, page, page, {"email": " NIA@example.org ", "role": "site_member",
                                    "perspective": "carer"})
    assert r.status_code == 303, r.text
    [m] = load(Membership, user_id=newcomer.id)
    assert (m.site_id, m.role, m.perspective) == (world.site_a.id, "site_member", "carer")
    listing = client.get(page).text
    assert "Nia Newcomer" in listing
    event = load(AuditEvent, entity="membership")[-1]
    assert (event.action, event.site_id, event.after["perspective"]) == \
        ("add_member", world.site_a.id, "carer")
    before = counts(TABLES)
    r = submit(client, page, page, {"email": "nia@example.org", "role": "site_lead",
                                    "perspective": "staff"})
    assert r.status_code == 422 and "already a member" in error_beside(r.text, "email")
    r = submit(client, page, page, {"email": "nobody@example.org", "role": "site_member",
                                    "perspective": "staff"})
    assert r.status_code == 422
    assert "Ask an administrator" in error_beside(r.text, "email")
    assert 'value="nobody@example.org"' in r.text
    assert '<option value="site_member" selected' in r.text
    assert '<option value="staff" selected' in r.text
    r = submit(client, page, page, {"email": "nia@example.org", "role": "boss",
                                    "perspective": "staff"})
    assert r.status_code == 422 and error_beside(r.text, "role")
    assert counts(TABLES) == before
    confirm = client.get(f"{page}/{m.id}/remove")
    assert "Remove Nia Newcomer from the steering group?" in confirm.text
    assert "nhsuk-card--warning" in confirm.text and "stay in the site" in confirm.text
    refused = client.post(f"{page}/{m.id}/remove", data={"csrf_token": csrf_from(confirm.text)})
    assert refused.status_code == 200 and "Yes, remove Nia Newcomer" in refused.text
    assert load(Membership, user_id=newcomer.id) != []  # asking changes nothing
    r = submit(client, f"{page}/{m.id}/remove", f"{page}/{m.id}/remove", {"confirm": "yes"})
    assert r.status_code == 303 and load(Membership, user_id=newcomer.id) == []
    assert "taken off the steering group" in client.get(r.headers["location"]).text
    assert load(AuditEvent, entity="membership")[-1].action == "remove_member"


def test_the_only_lead_cannot_take_themselves_off_but_the_programme_team_can(client, world):
    page = f"/sites/{world.site_a.id}/members"
    [mine] = load(Membership, user_id=world.lead.id, site_id=world.site_a.id)
    assert mine.role == "site_lead"
    sign_in(client, world.lead)
    before = counts(TABLES)
    r = submit(client, f"{page}/{mine.id}/remove", f"{page}/{mine.id}/remove",
               {"confirm": "yes"})
    assert r.status_code == 409
    assert "only steering group lead" in r.text and 'href="#members"' in r.text
    assert counts(TABLES) == before
    sign_in(client, world.programme)
    r = submit(client, f"{page}/{mine.id}/remove", f"{page}/{mine.id}/remove",
               {"confirm": "yes"})
    assert r.status_code == 303
    assert load(Membership, user_id=world.lead.id, site_id=world.site_a.id) == []


def test_members_page_refused_to_members_and_other_sites(client, world):
    a, b = world.site_a.id, world.site_b.id
    [b_membership] = load(Membership, user_id=world.member_b.id)
    token = sign_in(client, world.member)
    before = counts(TABLES)
    assert client.get(f"/sites/{a}/members").status_code == 403
    r = client.post(f"/sites/{a}/members", data={"csrf_token": token, "email": world.outsider.email,
                                                 "role": "site_member", "perspective": "staff"})
    assert r.status_code == 403
    token = sign_in(client, world.lead)
    assert client.get(f"/sites/{b}/members").status_code == 404
    r = client.post(f"/sites/{b}/members", data={"csrf_token": token, "email": world.outsider.email,
                                                 "role": "site_member", "perspective": "staff"})
    assert r.status_code == 404
    for confirm in ({}, {"confirm": "yes"}):
        r = client.post(f"/sites/{b}/members/{b_membership.id}/remove",
                        data={"csrf_token": token, **confirm})
        assert r.status_code == 404
        r = client.post(f"/sites/{a}/members/{b_membership.id}/remove",
                        data={"csrf_token": token, **confirm})
        assert r.status_code == 404
    assert client.get(f"/sites/{a}/members/{b_membership.id}/remove").status_code == 404
    assert counts(TABLES) == before


# --- the command line ---------------------------------------------------------------------

def run_cli(*args: str, password: str = NEW_PASSWORD):
    return CliRunner().invoke(cli, ["users", "create", *args, "--password-stdin"],
                              input=password + "\n")


def test_cli_creates_people_with_roles(client, world):
    r = run_cli("--email", "root@example.org", "--name", "Root", "--role", "admin")
    assert r.exit_code == 0, r.output
    assert load(User, email="root@example.org")[0].global_role == "admin"
    r = run_cli("--email", "lead2@example.org", "--name", "Lead Two", "--role", "site_lead",
                "--site", str(world.site_b.id), "--perspective", "lived_experience")
    assert r.exit_code == 0, r.output
    [lead] = load(User, email="lead2@example.org")
    [m] = load(Membership, user_id=lead.id)
    assert (m.site_id, m.role, m.perspective) == (world.site_b.id, "site_lead", "lived_experience")
    r = run_cli("--email", "fac2@example.org", "--name", "Fac Two", "--role", "facilitator",
                "--learning-set", str(world.set_b.id))
    assert r.exit_code == 0, r.output
    [fac] = load(User, email="fac2@example.org")
    assert {f.user_id for f in load(LearningSetFacilitator, learning_set_id=world.set_b.id)} == \
        {world.other_facilitator.id, fac.id}
    assert fac.global_role is None
    r = client.post("/api/v1/auth/token", data={"username": "lead2@example.org",
                                                "password": NEW_PASSWORD})
    assert r.status_code == 200  # the password came from standard input


@pytest.mark.parametrize("args, words", [
    (("--role", "overlord"), "Role must be one of"),
    (("--role", "site_lead"), "needs --site"),
    (("--role", "facilitator"), "needs --learning-set"),
    (("--role", "site_member", "--site", "99999"), "No site has the id 99999"),
    (("--role", "site_member", "--site", "{site}", "--perspective", "alien"), "perspective"),
])
def test_cli_refuses_bad_roles(world, args, words):
    before = counts(TABLES)
    args = tuple(a.replace("{site}", str(world.site_a.id)) for a in args)
    r = run_cli("--email", "nope@example.org", "--name", "Nope", *args)
    assert r.exit_code == 1
    assert words in " ".join(r.output.split())
    assert counts(TABLES) == before


def test_cli_refuses_short_password(world):
    before = counts(TABLES)
    r = run_cli("--email", "weak@example.org", "--name", "Weak", "--role", "admin",
                password="short")
    assert r.exit_code == 1 and "password" in r.output.lower()
    assert counts(TABLES) == before


# --- reading the audit trail -----------------------------------------------------------------

def test_audit_pages(client, world):
    headers = api_token(client, world.programme)
    client.patch(f"/api/v1/sites/{world.site_a.id}", headers=headers, json={"region": "Audited"})
    client.patch(f"/api/v1/sites/{world.site_b.id}", headers=headers, json={"region": "Elsewhere"})
    sign_in(client, world.admin)
    page = client.get("/admin/audit")
    assert page.status_code == 200 and "Audited" in page.text and "Elsewhere" in page.text
    assert "Pat Programme" in page.text
    sign_in(client, world.lead)
    own = client.get(f"/sites/{world.site_a.id}/audit")
    assert own.status_code == 200 and "Audited" in own.text and "Elsewhere" not in own.text
    assert client.get(f"/sites/{world.site_b.id}/audit").status_code == 404
    assert client.get("/admin/audit").status_code == 403
    sign_in(client, world.member)
    assert client.get(f"/sites/{world.site_a.id}/audit").status_code == 403
