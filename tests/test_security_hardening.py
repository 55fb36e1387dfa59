"""Stored markup shown as text, production settings guards, and password hashing."""

import threading
import time

import pytest
from markupsafe import escape
from pydantic import ValidationError
from sqlmodel import select

from imroc import security
from imroc.config import DEV_SECRET, Settings, get_settings
from imroc.models import User
from tests.factories import World, make_learning_set, make_site, sign_in

NASTY = '<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}'


# --- output escaping -------------------------------------------------------------------

def test_stored_markup_is_shown_as_text_everywhere(client, session):
    world = World(session)
    nasty_set = make_learning_set(session, name=NASTY, facilitators=(world.facilitator,))
    site = make_site(session, name=NASTY, learning_set=nasty_set)
    sign_in(client, world.programme)
    escaped = str(escape(NASTY))
    assert "&lt;script&gt;" in escaped and "{{7*7}}" in escaped
    evaluated = escaped.replace("{{7*7}}", "49")
    pages = ["/", "/sites", f"/sites/{site.id}", f"/learning-sets/{nasty_set.id}",
             "/learning-sets", f"/sites/{site.id}/edit"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.text
        assert escaped in text, path
        assert "<script>alert(1)" not in text, path
        assert "<img src=x" not in text, path
        assert evaluated not in text, path
        assert "onerror=alert(1)>" not in text, path


def test_stored_markup_in_a_person_name_is_shown_as_text(client, session):
    world = World(session)
    person = session.get(User, world.member.id)
    person.name = NASTY
    session.add(person)
    session.commit()
    sign_in(client, world.admin)
    for path in ["/admin/users", f"/sites/{world.site_a.id}/members"]:
        text = client.get(path).text
        assert str(escape(NASTY)) in text, path
        assert "<script>alert(1)" not in text and "<img src=x" not in text, path
    sign_in(client, world.member)
    text = client.get("/").text  # the header shows the signed-in person's name
    assert str(escape(NASTY)) in text
    assert "<script>alert(1)" not in text


def test_typed_markup_is_kept_as_text_when_a_form_is_shown_again(client, session):
    from tests.factories import csrf_from

    token = csrf_from(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"email": NASTY, "password": "x" * 12,
                                             "csrf_token": token})
    assert response.status_code == 401
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;' in response.text
    assert "<script>alert(1)" not in response.text


def test_stored_markup_in_the_api_is_plain_json(client, session):
    world = World(session)
    site = make_site(session, name=NASTY, learning_set=world.set_a)
    from tests.factories import api_token

    headers = api_token(client, world.programme)
    response = client.get(f"/api/v1/sites/{site.id}", headers=headers)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["name"] == NASTY


# --- settings guards -------------------------------------------------------------------

def test_production_refuses_the_development_secret():
    with pytest.raises(ValidationError, match="IMROC_SECRET_KEY"):
        Settings(env="production", secret_key=DEV_SECRET)


def test_production_refuses_a_short_secret():
    with pytest.raises(ValidationError, match="IMROC_SECRET_KEY"):
        Settings(env="production", secret_key="s" * 31)


def test_production_refuses_insecure_cookies():
    with pytest.raises(ValidationError, match="IMROC_COOKIE_SECURE"):
        Settings(env="production", secret_key="k" * 40, cookie_secure=False)


def test_production_accepts_safe_settings_and_dev_is_lenient():
    assert Settings(env="production", secret_key="k" * 40, cookie_secure=True).env == "production"
    assert Settings(env="dev", secret_key=DEV_SECRET, cookie_secure=False).cookie_secure is False


def test_production_guard_reads_the_environment(monkeypatch):
    monkeypatch.setenv("IMROC_ENV", "production")
    monkeypatch.setenv("IMROC_SECRET_KEY", DEV_SECRET)
    with pytest.raises(ValidationError):
        Settings()


# --- password hashing ------------------------------------------------------------------

def test_password_hashes_are_argon2id_and_verify():
    digest = security.hash_password("a long passphrase")
    assert digest.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in digest
    assert security.hash_password("a long passphrase") != digest  # salted
    assert security.verify_password(digest, "a long passphrase")
    assert not security.verify_password(digest, "a long passphrase!")
    assert not security.verify_password(None, "a long passphrase")
    assert not security.verify_password("not-a-hash", "a long passphrase")


def test_people_created_through_the_app_get_argon2id_hashes(client, session):
    world = World(session)
    token = sign_in(client, world.admin)
    response = client.post("/admin/users", follow_redirects=False, data={
        "email": "new.person@example.org", "name": "New Person", "global_role": "",
        "password": "a-long-enough-password", "csrf_token": token})
    assert response.status_code == 303, response.text[:1000]
    user = session.exec(select(User).where(User.email == "new.person@example.org")).one()
    session.commit()
    assert user.password_hash.startswith("$argon2id$")
    assert "a-long-enough-password" not in user.password_hash
    assert security.verify_password(user.password_hash, "a-long-enough-password")


def test_concurrent_hashing_is_bounded_by_hash_concurrency(monkeypatch):
    monkeypatch.setenv("IMROC_HASH_CONCURRENCY", "2")
    get_settings.cache_clear()
    monkeypatch.setattr(security, "_slots", None)
    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    class SlowHasher:
        def _work(self) -> None:
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
            time.sleep(0.05)
            with lock:
                state["now"] -= 1

        def hash(self, password: str) -> str:
            self._work()
            return "$argon2id$fake"

        def verify(self, digest: str, password: str) -> bool:
            self._work()
            return True

    monkeypatch.setattr(security, "_hasher", SlowHasher())
    try:
        threads = [threading.Thread(target=security.hash_password, args=("pw",))
                   for _ in range(4)]
        threads += [threading.Thread(target=security.verify_password, args=("h", "pw"))
                    for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        get_settings.cache_clear()
    assert state["max"] == 2, state
    assert state["now"] == 0
