"""Invitations: from the lead's page or the API, by e-mail (read back from a real SMTP
server), to the invitee's own password and their first page; and every refusal."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from imroc.clock import utcnow
from imroc.db import write_session
from imroc.models import Invitation, LearningSetFacilitator, Membership, User
from tests.factories import api_token, csrf_from, make_user, sign_in
from tests.pages import text

NEW = "my own long password"


def _invite_from_page(client, world, **changes):
    sign_in(client, world.lead)
    page = client.get(f"/sites/{world.site_a.id}/members")
    data = {"invite_name": "Carla Carer", "invite_email": "Carla@Example.org",
            "invite_role": "site_member", "invite_perspective": "carer",
            "csrf_token": csrf_from(page.text), **changes}
    return client.post(f"/sites/{world.site_a.id}/invitations", data=data,
                       follow_redirects=False)


def test_a_lead_invites_and_the_invitee_chooses_a_password_and_lands_on_their_page(
        client, app, world, mailbox):
    sent = _invite_from_page(client, world)
    assert sent.status_code == 303
    listing = client.get(sent.headers["location"]).text
    assert "An invitation has been sent to carla@example.org" in listing
    assert "Carla Carer" in listing and "Send again" in listing
    [message] = mailbox.messages
    assert message["Subject"] == "You are invited to join Site A on ImROC self-audit"
    assert message["To"] == "Carla Carer <carla@example.org>"
    words = mailbox.text_of(message)
    assert f"{world.lead.name} has invited you to join Site A" in words
    assert "as a steering group member" in words and "/invitations/accept/" in words
    path = mailbox.link_in(message, "/invitations/accept/")

    with TestClient(app, base_url="https://testserver") as invitee:
        page = invitee.get(path)
        assert page.status_code == 200 and "Join Site A" in page.text
        csrf = csrf_from(page.text)
        wrong = invitee.post(path, data={"password": NEW, "confirm": "other",
                                         "csrf_token": csrf})
        assert wrong.status_code == 422 and "do not match" in wrong.text
        done = invitee.post(path, data={"password": NEW, "confirm": NEW, "csrf_token": csrf},
                            follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/?welcome=1"
        home = invitee.get("/").text
        assert "Carla Carer" in home  # signed in as themselves
        again = invitee.get(path)
        assert again.status_code == 410 and "already been accepted" in again.text
    with write_session() as s:
        user = s.exec(select(User).where(User.email == "carla@example.org")).one()
        [membership] = s.exec(select(Membership).where(Membership.user_id == user.id)).all()
        assert (membership.site_id, membership.role, membership.perspective) == \
            (world.site_a.id, "site_member", "carer")
    assert client.post("/api/v1/auth/token", data={"username": "carla@example.org",
                                                   "password": NEW}).status_code == 200


def test_someone_with_an_account_accepts_signed_in_without_a_new_password(
        client, session, app, world, mailbox):
    existing = make_user(session, name="Elsie Existing", email="elsie@example.org")
    _invite_from_page(client, world, invite_email="elsie@example.org",
                      invite_name="Elsie Existing", invite_role="site_lead")
    path = mailbox.link_in(mailbox.messages[0], "/invitations/accept/")
    with TestClient(app, base_url="https://testserver") as other:
        sign_in(other, world.member_b)
        page = other.get(path).text
        assert "but this invitation is for elsie@example.org" in page
        refused = other.post(path, data={"csrf_token": csrf_from(page)})
        assert refused.status_code == 403
    with TestClient(app, base_url="https://testserver") as elsie:
        page = elsie.get(path).text
        assert "There is already an account for elsie@example.org" in page
        assert "Choose a password" not in page
        sign_in(elsie, existing)
        page = elsie.get(path).text
        done = elsie.post(path, data={"csrf_token": csrf_from(page)}, follow_redirects=False)
        assert done.status_code == 303
    with write_session() as s:
        roles = s.exec(select(Membership.role).where(Membership.user_id == existing.id)).all()
        assert roles == ["site_lead"]
        assert s.get(User, existing.id).password_hash == existing.password_hash


def test_sending_again_replaces_the_link_and_withdrawing_stops_it(client, world, mailbox, app):
    _invite_from_page(client, world)
    first = mailbox.link_in(mailbox.messages[0], "/invitations/accept/")
    page = client.get(f"/sites/{world.site_a.id}/members").text
    [inv_id] = {int(i) for i in __import__("re").findall(r'/invitations/(\d+)/resend', page)}
    client.post(f"/invitations/{inv_id}/resend", data={"csrf_token": csrf_from(page)})
    second = mailbox.link_in(mailbox.messages[1], "/invitations/accept/")
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code in (200, 303)
    client.post(f"/invitations/{inv_id}/withdraw", data={"csrf_token": csrf_from(page)})
    with TestClient(app, base_url="https://testserver") as invitee:
        gone = invitee.get(second)
        assert gone.status_code == 410 and "withdrawn" in gone.text
    assert "Carla Carer" not in client.get(f"/sites/{world.site_a.id}/members").text


def test_an_expired_invitation_says_so(client, world, mailbox, app):
    _invite_from_page(client, world)
    path = mailbox.link_in(mailbox.messages[0], "/invitations/accept/")
    with write_session() as s:
        row = s.exec(select(Invitation)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    with TestClient(app, base_url="https://testserver") as invitee:
        page = invitee.get(path)
        assert page.status_code == 410 and "expired" in page.text
        token = csrf_from(invitee.get("/sign-in").text)
        assert invitee.post(path, data={"password": NEW, "confirm": NEW,
                                        "csrf_token": token}).status_code == 410
    assert "Expired" in client.get(f"/sites/{world.site_a.id}/members").text


def test_bad_invitations_are_refused_with_what_was_typed_kept(client, world, mailbox):
    r = _invite_from_page(client, world, invite_email="not an address", invite_role="")
    assert r.status_code == 422
    assert "Enter an email address in the correct format" in text(r.text)
    assert "Select a role" in text(r.text) and 'value="Carla Carer"' in r.text
    r = _invite_from_page(client, world, invite_email=world.member.email)
    assert r.status_code == 422 and "already a member of this site" in text(r.text)
    assert _invite_from_page(client, world).status_code == 303
    again = _invite_from_page(client, world)
    assert again.status_code == 422 and "already been invited" in text(again.text)
    assert len(mailbox.messages) == 1


def test_the_api_invites_and_lists_and_checks_who_may(client, session, world, mailbox, app):
    lead, member = api_token(client, world.lead), api_token(client, world.member)
    body = {"email": "api@example.org", "name": "Api Person", "role": "site_member",
            "perspective": "staff"}
    url = f"/api/v1/sites/{world.site_a.id}/invitations"
    assert client.post(url, json=body, headers=member).status_code == 403
    assert client.post(f"/api/v1/sites/{world.site_b.id}/invitations", json=body,
                       headers=lead).status_code == 404
    made = client.post(url, json=body, headers=lead)
    assert made.status_code == 201 and made.json()["status"] == "pending"
    assert "secret_hash" not in made.json()
    assert [i["email"] for i in client.get(url, headers=lead).json()] == ["api@example.org"]
    assert len(mailbox.messages) == 1

    programme, admin = api_token(client, world.programme), api_token(client, world.admin)
    fac = {"email": "fac@example.org", "name": "Fay Facilitator", "role": "facilitator",
           "learning_set_id": world.set_a.id}
    assert client.post("/api/v1/invitations", json=fac, headers=lead).status_code == 403
    assert client.post("/api/v1/invitations", json={**fac, "role": "admin",
                                                     "learning_set_id": None},
                       headers=programme).status_code == 403
    assert client.post("/api/v1/invitations", json=fac, headers=programme).status_code == 201
    assert client.post("/api/v1/invitations", json={
        "email": "pt@example.org", "name": "Pip Team", "role": "programme_team"},
        headers=admin).status_code == 201
    path = mailbox.link_in(mailbox.messages[1], "/invitations/accept/")
    with TestClient(app, base_url="https://testserver") as fay:
        page = fay.get(path)
        fay.post(path, data={"password": NEW, "confirm": NEW, "csrf_token": csrf_from(page.text)})
    with write_session() as s:
        fay_user = s.exec(select(User).where(User.email == "fac@example.org")).one()
        assert s.get(LearningSetFacilitator, (world.set_a.id, fay_user.id)) is not None


def test_an_accepted_invitation_cannot_be_sent_again_or_withdrawn(client, session, world,
                                                                   mailbox, app):
    programme = api_token(client, world.programme)
    bad = client.post("/api/v1/invitations", headers=programme, json={
        "email": "x@example.org", "name": "X", "role": "facilitator", "learning_set_id": 99999})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "learning_set_id"
    made = client.post("/api/v1/invitations", headers=programme, json={
        "email": "fac2@example.org", "name": "Fred Facilitator", "role": "facilitator"})
    assert made.status_code == 201
    path = mailbox.link_in(mailbox.messages[0], "/invitations/accept/")
    with TestClient(app, base_url="https://testserver") as fred:
        page = fred.get(path)
        fred.post(path, data={"password": NEW, "confirm": NEW, "csrf_token": csrf_from(page.text)})
    sign_in(client, world.programme)
    csrf = csrf_from(client.get("/invitations").text)
    inv_id = made.json()["id"]
    for verb in ("resend", "withdraw"):
        refused = client.post(f"/invitations/{inv_id}/{verb}", data={"csrf_token": csrf})
        assert refused.status_code == 409, verb
    assert len(mailbox.messages) == 1
