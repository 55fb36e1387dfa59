"""Forgotten passwords: the same answer for every address, a single-use link by e-mail
(read back from a real SMTP server), and every session ended by the reset."""

from datetime import timedelta

from sqlmodel import select

from imroc.clock import utcnow
from imroc.db import write_session
from imroc.models import AuthSession, Mail, PasswordReset
from tests.factories import PASSWORD, api_token, csrf_from, make_user
from tests.pages import text

NEW = "a long new password of mine"


def _ask(client, email: str):
    page = client.get("/forgot-password")
    return client.post("/forgot-password", data={"email": email,
                                                 "csrf_token": csrf_from(page.text)})


def test_a_reset_link_arrives_by_email_and_sets_a_new_password(client, session, mailbox):
    user = make_user(session, name="Rosa Reset", email="rosa@example.org")
    other_browser_token = api_token(client, user)
    answer = _ask(client, "Rosa@Example.org ")
    assert answer.status_code == 200 and "Check your email" in answer.text
    [message] = mailbox.messages
    assert message["To"] == "Rosa Reset <rosa@example.org>"
    assert message["Subject"] == "Reset your ImROC self-audit password"
    assert message["Message-ID"].endswith("@imroc.invalid>")
    assert "List-Unsubscribe" not in message  # asked for, not a choice to opt out of
    assert message.get_body(preferencelist=("html",)) is not None
    path = mailbox.link_in(message, "/reset-password/")
    assert "https://imroc.example.org/reset-password/" in mailbox.text_of(message)

    page = client.get(path)
    assert page.status_code == 200 and "Choose a new password" in page.text
    csrf = csrf_from(page.text)
    mismatch = client.post(path, data={"password": NEW, "confirm": NEW + "x",
                                       "csrf_token": csrf})
    assert mismatch.status_code == 422 and "do not match" in mismatch.text
    short = client.post(path, data={"password": "short", "confirm": "short", "csrf_token": csrf})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    done = client.post(path, data={"password": NEW, "confirm": NEW, "csrf_token": csrf},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/sign-in?reset=1"
    assert "Your password has been changed" in client.get("/sign-in?reset=1").text

    # Every session and token of the person has ended; the link is used up.
    assert client.get("/api/v1/me", headers=other_browser_token).status_code == 401
    with write_session() as s:
        assert all(r.revoked_at is not None for r in s.exec(select(AuthSession)).all())
    again = client.get(path)
    assert again.status_code == 404 and "This link cannot be used" in again.text
    reused = client.post(path, data={"password": "another long password", "csrf_token": csrf,
                                     "confirm": "another long password"})
    assert reused.status_code == 404
    token = client.post("/api/v1/auth/token", data={"username": user.email, "password": NEW})
    assert token.status_code == 200
    assert client.post("/api/v1/auth/token", data={"username": user.email,
                                                   "password": PASSWORD}).status_code == 401


def test_known_and_unknown_addresses_get_the_same_answer(client, session, mailbox):
    make_user(session, email="known@example.org")
    known, unknown = _ask(client, "known@example.org"), _ask(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    def words(page) -> str:
        return text(page.text.split("<main", 1)[1]).replace("known@", "X@").replace("nobody@", "X@")

    assert words(known) == words(unknown) and "Check your email" in words(known)
    api_known = client.post("/api/v1/auth/password-reset", json={"email": "known@example.org"})
    api_unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.org"})
    assert api_known.status_code == api_unknown.status_code == 202
    assert api_known.json() == api_unknown.json()
    assert [m["To"].addresses[0].addr_spec for m in mailbox.messages] == ["known@example.org"] * 2
    assert api_known.headers["cache-control"] == "no-store"


def test_an_expired_link_cannot_be_used(client, session, mailbox):
    make_user(session, email="late@example.org")
    _ask(client, "late@example.org")
    path = mailbox.link_in(mailbox.messages[0], "/reset-password/")
    with write_session() as s:
        row = s.exec(select(PasswordReset)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    assert client.get(path).status_code == 404


def test_resets_are_throttled_per_person_and_per_client(client, session, mailbox):
    make_user(session, email="busy@example.org")
    for _ in range(5):
        assert client.post("/api/v1/auth/password-reset",
                           json={"email": "busy@example.org"}).status_code == 202
    assert len(mailbox.messages) == 3  # three an hour to one address, silently
    answers = [client.post("/api/v1/auth/password-reset", json={"email": f"x{i}@example.org"})
               for i in range(20)]
    assert answers[-1].status_code == 429 and "Retry-After" in answers[-1].headers
    assert client.post("/api/v1/auth/password-reset", json={"email": " "}).status_code == 422


def test_without_a_mail_server_the_message_is_logged_and_kept(client, session, caplog):
    make_user(session, name="Lou Log", email="lou@example.org")
    with caplog.at_level("INFO", logger="imroc.mail"):
        assert client.post("/api/v1/auth/password-reset",
                           json={"email": "lou@example.org"}).status_code == 202
    assert "no IMROC_SMTP_URL" in caplog.text and "/reset-password/" in caplog.text
    with write_session() as s:
        [row] = s.exec(select(Mail)).all()
        assert row.sent_via == "log" and row.sent_at is not None


def test_reset_links_are_not_written_to_the_request_log(client, session, mailbox, caplog):
    make_user(session, email="quiet@example.org")
    _ask(client, "quiet@example.org")
    path = mailbox.link_in(mailbox.messages[0], "/reset-password/")
    with caplog.at_level("INFO", logger="imroc"):
        client.get(path)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("imroc"))
    assert "/reset-password/(secret)" in ours
    assert path.rsplit("/", 1)[1] not in ours


def test_the_sign_in_page_offers_a_reset(client):
    assert 'href="/forgot-password"' in client.get("/sign-in").text
