"""Signing in and out: the form, server-side sessions, expiry, `next`, and API tokens."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from imroc.clock import utcnow
from imroc.db import write_session
from imroc.deps import SESSION_COOKIE
from imroc.models import AuthSession, User
from imroc.security import token_digest
from tests.factories import PASSWORD, World, api_token, csrf_from, make_user, sign_in


def _form_group(html: str, field: str) -> str:
    """The NHS.UK form group that holds the input with this id (label, error and input)."""
    groups = re.findall(r'<div class="nhsuk-form-group[^"]*">.*?</div>', html, re.S)
    found = [g for g in groups if f'id="{field}"' in g]
    assert len(found) == 1, f"no single form group for {field}"
    return found[0]


def _post_sign_in(client: TestClient, email: str, password: str, **extra: str):
    token = csrf_from(client.get("/sign-in").text)
    return client.post("/sign-in", data={"email": email, "password": password,
                                         "csrf_token": token, **extra}, follow_redirects=False)


def _sessions(user: User | None = None) -> list[AuthSession]:
    with write_session() as s:
        query = select(AuthSession)
        if user is not None:
            query = query.where(AuthSession.user_id == user.id)
        rows = list(s.exec(query).all())
        s.commit()
    return rows


def _update_sessions(**values) -> None:
    with write_session() as s:
        for row in s.exec(select(AuthSession)).all():
            for name, value in values.items():
                setattr(row, name, value)
            s.add(row)
        s.commit()


def _is_signed_in(client: TestClient) -> bool:
    response = client.get("/", follow_redirects=False)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/sign-in")
        return False
    assert response.status_code == 200, response.text[:500]
    return True


# --- the sign-in page ------------------------------------------------------------------

def test_sign_in_page_renders_a_form_with_csrf(client):
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert 'action="/sign-in"' in page.text
    assert csrf_from(page.text)
    assert 'type="password"' in page.text


def test_wrong_password_is_401_with_the_error_next_to_email_and_email_kept(client, session):
    user = make_user(session)
    response = _post_sign_in(client, user.email, "not-the-password-at-all")
    assert response.status_code == 401
    group = _form_group(response.text, "email")
    assert "Enter a correct email address and password" in group
    assert 'id="email-error"' in group and 'aria-describedby="email-error"' in group
    assert f'value="{user.email}"' in group
    assert "not-the-password-at-all" not in response.text
    assert 'value=""' in _form_group(response.text, "password")
    assert "There is a problem" in response.text  # the error summary
    assert _sessions() == []


def test_unknown_email_gets_the_same_message(client):
    response = _post_sign_in(client, "nobody@example.org", PASSWORD)
    assert response.status_code == 401
    assert "Enter a correct email address and password" in _form_group(response.text, "email")


def test_blank_fields_are_422_naming_each_field(client):
    response = _post_sign_in(client, "   ", "")
    assert response.status_code == 422
    assert "Enter your email address" in _form_group(response.text, "email")
    assert "Enter your password" in _form_group(response.text, "password")
    only_password = _post_sign_in(client, "someone@example.org", "")
    assert only_password.status_code == 422
    assert "Enter your password" in _form_group(only_password.text, "password")
    assert "Enter your email address" not in only_password.text
    assert 'value="someone@example.org"' in _form_group(only_password.text, "email")


def test_success_sets_a_secure_session_cookie(client, session):
    user = make_user(session)
    response = _post_sign_in(client, user.email, PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookies = [c for c in response.headers.get_list("set-cookie")
               if c.startswith(f"{SESSION_COOKIE}=")]
    assert len(cookies) == 1
    attributes = [part.strip().lower() for part in cookies[0].split(";")]
    assert "httponly" in attributes
    assert "secure" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert _is_signed_in(client)


def test_session_is_stored_hashed_server_side(client, session):
    user = make_user(session)
    _post_sign_in(client, user.email, PASSWORD)
    cookie = client.cookies[SESSION_COOKIE]
    rows = _sessions(user)
    assert len(rows) == 1
    assert rows[0].kind == "browser"
    assert cookie not in rows[0].id and rows[0].id != cookie
    assert rows[0].id == token_digest(cookie)
    assert cookie not in rows[0].csrf_token


def test_each_sign_in_gets_a_new_session_id(client, session):
    user = make_user(session)
    _post_sign_in(client, user.email, PASSWORD)
    first = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    _post_sign_in(client, user.email, PASSWORD)
    assert client.cookies[SESSION_COOKIE] != first
    assert len(_sessions(user)) == 2


def test_sign_out_revokes_the_session_even_if_the_cookie_is_replayed(client, session):
    user = make_user(session)
    csrf = sign_in(client, user)
    cookie = client.cookies[SESSION_COOKIE]
    response = client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert not _is_signed_in(client)
    [row] = _sessions(user)
    assert row.revoked_at is not None
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)
    assert not _is_signed_in(client)
    replay = client.get("/sites", follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"] == "/sign-in?next=%2Fsites"


def test_deactivated_user_cannot_sign_in(client, session):
    user = make_user(session, active=False)
    response = _post_sign_in(client, user.email, PASSWORD)
    assert response.status_code == 401
    assert "Enter a correct email address and password" in response.text
    assert _sessions() == []


def test_deactivation_by_an_admin_ends_existing_sessions(app, client, session):
    world = World(session)
    sign_in(client, world.member)
    assert _is_signed_in(client)
    with TestClient(app, base_url="https://testserver") as admin:
        csrf = sign_in(admin, world.admin)
        response = admin.post(f"/admin/users/{world.member.id}/edit", follow_redirects=False,
                              data={"name": world.member.name, "global_role": "",
                                    "is_active": "false", "csrf_token": csrf})
        assert response.status_code == 303, response.text[:2000]
    assert not _is_signed_in(client)
    assert all(row.revoked_at is not None for row in _sessions(world.member))
    assert _post_sign_in(client, world.member.email, PASSWORD).status_code == 401


def test_inactive_flag_alone_stops_existing_sessions_and_tokens(client, session):
    user = make_user(session)
    headers = api_token(client, user)
    sign_in(client, user)
    with write_session() as s:
        row = s.get(User, user.id)
        row.is_active = False
        s.add(row)
        s.commit()
    assert not _is_signed_in(client)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_idle_session_expires(client, session):
    user = make_user(session)
    sign_in(client, user)
    _update_sessions(last_seen_at=utcnow() - timedelta(minutes=30))
    assert _is_signed_in(client)
    [row] = _sessions(user)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)  # activity keeps it alive
    _update_sessions(last_seen_at=utcnow() - timedelta(minutes=61))
    assert not _is_signed_in(client)


def test_absolute_expiry_ends_even_an_active_session(client, session):
    user = make_user(session)
    sign_in(client, user)
    [row] = _sessions(user)
    assert timedelta(hours=11) < row.expires_at - utcnow() <= timedelta(hours=12)
    _update_sessions(last_seen_at=utcnow(), expires_at=utcnow() - timedelta(seconds=1))
    assert not _is_signed_in(client)


@pytest.mark.parametrize("target, expected", [
    ("/sites", "/sites"),
    ("/sites?archived=true", "/sites?archived=true"),
    ("//evil.example", "/"),
    ("https://evil.example", "/"),
    ("/\\evil.example", "/"),
    ("evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_only_follows_local_paths(client, session, target, expected):
    user = make_user(session)
    page = client.get("/sign-in", params={"next": target})
    assert f'name="next" value="{expected}"' in page.text.replace("&amp;", "&")
    response = _post_sign_in(client, user.email, PASSWORD, next=target)
    assert response.status_code == 303
    assert response.headers["location"] == expected
    again = client.get("/sign-in", params={"next": target}, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == expected


def test_a_page_that_needs_sign_in_sends_you_back_after(client, session):
    user = make_user(session)
    response = client.get("/sites", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fsites"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/sites"' in page.text
    assert _post_sign_in(client, user.email, PASSWORD, next="/sites").headers["location"] \
        == "/sites"


# --- API tokens ------------------------------------------------------------------------

def test_api_token_shape_and_use(client, session):
    user = make_user(session)
    response = client.post("/api/v1/auth/token", data={"username": user.email,
                                                       "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type"}
    assert body["token_type"] == "bearer"
    [row] = _sessions(user)
    assert row.kind == "api" and row.id == token_digest(body["access_token"])
    assert body["access_token"] not in row.id
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_api_wrong_password_is_401_json(client, session):
    user = make_user(session)
    response = client.post("/api/v1/auth/token", data={"username": user.email,
                                                       "password": "wrong-password-here"})
    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"
    assert _sessions() == []


def test_api_without_or_with_a_bad_token_is_401(client):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert "detail" in response.json()


def test_browser_session_cookie_alone_does_not_authenticate_the_api(client, session):
    user = make_user(session)
    sign_in(client, user)
    assert client.cookies.get(SESSION_COOKIE)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert client.get("/api/v1/sites").status_code == 401


def test_api_token_does_not_work_as_a_browser_cookie(client, session):
    user = make_user(session)
    token = api_token(client, user)["Authorization"].split(" ", 1)[1]
    client.cookies.set(SESSION_COOKIE, token)
    assert not _is_signed_in(client)
    assert client.get("/sites", follow_redirects=False).status_code == 303


def test_expired_or_revoked_api_token_is_refused(client, session):
    user = make_user(session)
    headers = api_token(client, user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    _update_sessions(expires_at=utcnow() - timedelta(seconds=1))
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    headers = api_token(client, user)
    _update_sessions(revoked_at=utcnow())
    assert client.get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize("missing", ["username", "password"])
def test_api_token_missing_field_is_422_naming_it(client, missing):
    data = {"username": "someone@example.org", "password": "whatever-password"}
    del data[missing]
    response = client.post("/api/v1/auth/token", data=data)
    assert response.status_code == 422
    named = [item["loc"][-1] for item in response.json()["detail"]]
    assert named == [missing]
