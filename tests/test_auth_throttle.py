"""Login throttling: counted per email in the database, so every worker shares it."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from imroc.config import get_settings
from imroc.db import write_session
from imroc.models import LoginThrottle
from tests.factories import PASSWORD, csrf_from, make_user

WRONG = "definitely-not-it"


def _page_attempt(client: TestClient, email: str, password: str):
    token = csrf_from(client.get("/sign-in").text)
    return client.post("/sign-in", data={"email": email, "password": password,
                                         "csrf_token": token}, follow_redirects=False)


def _api_attempt(client: TestClient, email: str, password: str):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def _throttle_rows() -> dict[str, LoginThrottle]:
    with write_session() as s:
        rows = {row.key: row for row in s.exec(select(LoginThrottle)).all()}
        s.commit()
    return rows


def _assert_wait_in_minutes(text: str, retry_after: int) -> None:
    minutes = -(-retry_after // 60)
    match = re.search(r"Wait (\d+) minutes?", text)
    assert match, text[:2000]
    assert int(match.group(1)) == minutes


def test_default_limit_is_five():
    assert get_settings().login_max_failures == 5


@pytest.mark.parametrize("attempt", [_page_attempt, _api_attempt], ids=["page", "api"])
def test_locked_after_max_failures_even_with_the_right_password(client, session, attempt):
    user = make_user(session)
    limit = get_settings().login_max_failures
    for _ in range(limit):
        assert attempt(client, user.email, WRONG).status_code == 401
    response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    lockout = get_settings().login_lockout_seconds
    assert 0 < retry_after <= lockout + 1
    if attempt is _api_attempt:
        _assert_wait_in_minutes(response.json()["detail"], retry_after)
    else:
        assert "Too many failed attempts to sign in" in response.text
        _assert_wait_in_minutes(response.text, retry_after)
        assert f'value="{user.email}"' in response.text
        assert 'id="email-error"' in response.text


def test_lock_applies_to_the_page_and_the_api_alike(client, session):
    user = make_user(session)
    for _ in range(get_settings().login_max_failures):
        _page_attempt(client, user.email, WRONG)
    response = _api_attempt(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert "retry-after" in response.headers
    assert "minute" in response.json()["detail"]


def test_one_email_locked_does_not_lock_another(client, session):
    locked, other = make_user(session), make_user(session)
    for _ in range(get_settings().login_max_failures):
        _page_attempt(client, locked.email, WRONG)
    assert _page_attempt(client, locked.email, PASSWORD).status_code == 429
    assert _page_attempt(client, other.email, PASSWORD).status_code == 303


def test_email_is_matched_regardless_of_case_and_spaces(client, session):
    user = make_user(session)
    for n in range(get_settings().login_max_failures):
        variant = f"  {user.email.upper()} " if n % 2 else user.email
        _page_attempt(client, variant, WRONG)
    assert _page_attempt(client, user.email, PASSWORD).status_code == 429


def test_success_before_the_limit_resets_the_count(client, session):
    user = make_user(session)
    limit = get_settings().login_max_failures
    for _ in range(limit - 1):
        assert _page_attempt(client, user.email, WRONG).status_code == 401
    assert _throttle_rows()[f"email:{user.email}"].failures == limit - 1
    assert _page_attempt(client, user.email, PASSWORD).status_code == 303
    assert f"email:{user.email}" not in _throttle_rows()
    client.cookies.clear()
    for _ in range(limit - 1):
        assert _page_attempt(client, user.email, WRONG).status_code == 401
    assert _api_attempt(client, user.email, PASSWORD).status_code == 200


def test_throttle_state_is_in_the_database_and_shared_by_workers(app, client, session):
    from imroc.main import create_app

    user = make_user(session)
    limit = get_settings().login_max_failures
    for _ in range(limit):
        _page_attempt(client, user.email, WRONG)
    row = _throttle_rows()[f"email:{user.email}"]
    assert row.failures == limit and row.locked_until is not None
    # A second application instance (another worker) sees the same lock.
    with TestClient(create_app(), base_url="https://testserver") as worker:
        assert _api_attempt(worker, user.email, PASSWORD).status_code == 429
    # And the lock is nothing but that row: remove it and the person may sign in again.
    with write_session() as s:
        s.delete(s.get(LoginThrottle, f"email:{user.email}"))
        s.commit()
    assert _page_attempt(client, user.email, PASSWORD).status_code == 303


def test_lock_expires_after_the_lockout_window(client, session):
    user = make_user(session)
    for _ in range(get_settings().login_max_failures):
        _page_attempt(client, user.email, WRONG)
    assert _api_attempt(client, user.email, PASSWORD).status_code == 429
    with write_session() as s:
        shift = timedelta(seconds=get_settings().login_lockout_seconds + 1)
        for row in s.exec(select(LoginThrottle)).all():
            row.first_failed_at -= shift
            if row.locked_until is not None:
                row.locked_until -= shift
            s.add(row)
        s.commit()
    assert _api_attempt(client, user.email, PASSWORD).status_code == 200


def test_parallel_guesses_cannot_pass_the_limit_or_crash(app, session):
    """Workers racing on one email: every failure counted, no 500 on the new row, and no
    more wrong guesses checked than the limit allows."""
    import threading

    user = make_user(session)
    limit = get_settings().login_max_failures
    attempts = limit + 3
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def attempt() -> None:
        with TestClient(app, base_url="https://testserver",
                        raise_server_exceptions=False) as c:
            barrier.wait()
            statuses.append(_api_attempt(c, user.email, WRONG).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [401] * limit + [429] * (attempts - limit)
    row = _throttle_rows()[f"email:{user.email}"]
    assert row.failures == limit and row.locked_until is not None


def test_failures_on_many_accounts_from_one_address_do_not_lock_out_others(client, session):
    """NHS networks share one address: guessing at other accounts must not lock this one."""
    user = make_user(session)
    limit = get_settings().login_max_failures
    for n in range(limit * 5):
        assert _api_attempt(client, f"someone{n}@example.org", WRONG).status_code == 401
    assert _api_attempt(client, user.email, PASSWORD).status_code == 200


def _from(app, address: str) -> TestClient:
    return TestClient(app, base_url="https://testserver", client=(address, 50000))


def test_an_attacker_cannot_lock_a_colleague_out(app, session):
    """Guessing from one address locks the account for that address only: its owner, at
    another address that has not been failing, still signs in with the right password."""
    user = make_user(session)
    with _from(app, "203.0.113.7") as attacker, _from(app, "198.51.100.20") as owner:
        for _ in range(get_settings().login_max_failures):
            assert _api_attempt(attacker, user.email, WRONG).status_code == 401
        assert _api_attempt(attacker, user.email, PASSWORD).status_code == 429
        assert _api_attempt(owner, user.email, PASSWORD).status_code == 200
        # A wrong password from the owner's address is still a failure, and counts there.
        assert _api_attempt(owner, user.email, WRONG).status_code == 401
    rows = _throttle_rows()
    assert rows[f"email:{user.email}|addr:198.51.100.20"].failures == 1


def test_failures_from_one_address_are_limited_across_accounts(app, session, monkeypatch):
    """Spraying one password over many accounts from one address stops at the address's
    limit (100 failures in 15 minutes by default, sized for a whole trust behind one NAT)."""
    settings = get_settings()
    assert (settings.login_address_max_failures, settings.login_address_window_seconds) == \
        (100, 900)
    monkeypatch.setattr(settings, "login_address_max_failures", 12)
    user = make_user(session)
    with _from(app, "203.0.113.9") as sprayer, _from(app, "192.0.2.44") as colleague:
        for n in range(12):
            assert _api_attempt(sprayer, f"person{n}@example.org", WRONG).status_code == 401
        refused = _api_attempt(sprayer, f"person{99}@example.org", WRONG)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert _page_attempt(sprayer, user.email, WRONG).status_code == 429
        # Another address is not touched by it.
        assert _api_attempt(colleague, user.email, PASSWORD).status_code == 200
    rows = _throttle_rows()
    assert rows["addr:203.0.113.9"].failures == 12
    assert rows["addr:203.0.113.9"].locked_until is not None
    assert "addr:192.0.2.44" not in rows  # a success is never counted against an address


def test_a_success_does_not_clear_the_address_count(app, session, monkeypatch):
    monkeypatch.setattr(get_settings(), "login_address_max_failures", 5)
    user = make_user(session)
    with _from(app, "203.0.113.50") as shared:
        for n in range(4):
            _api_attempt(shared, f"other{n}@example.org", WRONG)
        assert _api_attempt(shared, user.email, PASSWORD).status_code == 200
        assert _api_attempt(shared, "other9@example.org", WRONG).status_code == 401
        assert _api_attempt(shared, user.email, PASSWORD).status_code == 429
