"""Personal API tokens on the account page; deactivation ending sessions and tokens; and
passwords refused for people who sign in by SSO when password sign-in is turned off."""

import pytest
from sqlmodel import select

from imroc.config import get_settings
from imroc.models import AuthSession
from imroc.models.user import UserUpdate
from imroc.services import users
from tests.factories import PASSWORD, csrf_from, make_user, sign_in


def make_token(client, csrf: str, name: str = "Monthly figures", days: str = "30"):
    return client.post("/account/tokens", data={"name": name, "days": days,
                                                "csrf_token": csrf})


def secret_of(page: str) -> str:
    return page.split('id="new-token" class="app-token">', 1)[1].split("<", 1)[0]


def test_a_token_is_shown_once_works_and_can_be_revoked(client, session):
    person = make_user(session, name="Tom Token")
    csrf = sign_in(client, person)
    response = make_token(client, csrf)
    assert response.status_code == 201 and response.headers["cache-control"] == "no-store"
    secret = secret_of(response.text)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=bearer).json()["email"] == person.email
    listing = client.get("/account/tokens").text
    assert "Monthly figures" in listing and secret not in listing
    row = session.exec(select(AuthSession).where(AuthSession.name == "Monthly figures")).one()
    assert row.id != secret and (row.expires_at - row.created_at).days == 30
    revoked = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert revoked.status_code == 303
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert "Revoked" in client.get("/account/tokens").text


@pytest.mark.parametrize(("name", "days", "field"), [
    ("", "30", "Enter a name"), ("x" * 101, "30", "100 characters"),
    ("Figures", "3650", "Select how long"), ("Figures", "", "Select how long")])
def test_a_token_needs_a_name_and_a_lifetime(client, session, name, days, field):
    csrf = sign_in(client, make_user(session))
    response = make_token(client, csrf, name=name, days=days)
    assert response.status_code == 422 and field in response.text
    assert "There is a problem" in response.text
    assert session.exec(select(AuthSession).where(AuthSession.kind == "api")).all() == []


def test_two_live_tokens_cannot_share_a_name(client, session):
    csrf = sign_in(client, make_user(session))
    assert make_token(client, csrf).status_code == 201
    response = make_token(client, csrf)
    assert response.status_code == 422 and "already have a token with this name" in response.text


def test_no_one_revokes_another_persons_token(client, session, browser):
    owner, other = make_user(session), make_user(session)
    csrf = sign_in(client, owner)
    secret = secret_of(make_token(client, csrf).text)
    row = session.exec(select(AuthSession).where(AuthSession.user_id == owner.id,
                                                 AuthSession.kind == "api")).one()
    csrf_other = sign_in(client, other)
    response = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_other})
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}) \
        .status_code == 200


def test_deactivation_ends_sessions_and_tokens(client, session):
    admin = make_user(session, global_role="admin")
    person = make_user(session)
    csrf = sign_in(client, person)
    bearer = {"Authorization": f"Bearer {secret_of(make_token(client, csrf).text)}"}
    assert client.get("/", follow_redirects=False).status_code == 200
    users.update_user(session, user=person, data=UserUpdate(is_active=False), actor=admin)
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    live = session.exec(select(AuthSession).where(AuthSession.user_id == person.id,
                                                  AuthSession.revoked_at.is_(None))).all()
    assert live == []


@pytest.fixture
def passwords_off(monkeypatch):
    for key, value in {"IMROC_OIDC_ISSUER": "http://127.0.0.1:9", "IMROC_OIDC_CLIENT_ID": "x",
                       "IMROC_PASSWORD_SIGN_IN": "false",
                       "IMROC_OIDC_ALLOWED_DOMAINS": "trust.nhs.uk"}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def password_sign_in(client, email: str):
    csrf = csrf_from(client.get("/sign-in").text)
    return client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                         "csrf_token": csrf}, follow_redirects=False)


def test_passwords_off_refuses_an_allowed_domain_and_past_sso_people(passwords_off, client,
                                                                     session):
    make_user(session, email="nurse@trust.nhs.uk")
    linked = make_user(session, email="volunteer@charity.example")
    linked.oidc_issuer, linked.oidc_subject = "http://127.0.0.1:9", "v-1"
    session.add(linked)
    session.commit()
    for email in ("nurse@trust.nhs.uk", "volunteer@charity.example"):
        response = password_sign_in(client, email)
        assert response.status_code == 401 and "organisation&#39;s account instead" in \
            response.text
        api = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        assert api.status_code == 401
    # A carer with no NHS account still signs in with a password.
    carer = make_user(session, email="carer@mail.example")
    assert password_sign_in(client, carer.email).status_code == 303


def test_passwords_stay_on_by_default(client, session):
    make_user(session, email="nurse@trust.nhs.uk")
    assert password_sign_in(client, "nurse@trust.nhs.uk").status_code == 303
