"""The outbox: messages delivered to a real SMTP server once each, a failure losing nothing,
and the administrators' outbox page."""

from sqlmodel import select

from imroc.db import write_session
from imroc.models import Mail
from imroc.services import mail
from tests.factories import sign_in


def _queue(n: int) -> list[int]:
    with write_session() as s:
        made = [mail.queue(s, kind="test", template="password_reset", subject=f"Message {i}",
                           to_email=f"p{i}@example.org", to_name=f"Person {i}",
                           context={"reset_url": "https://imroc.example.org/x"},
                           key=f"test-{i}") for i in range(n)]
        s.commit()
        return [m.id for m in made]


def test_an_smtp_failure_mid_run_loses_nothing_and_the_retry_keeps_the_message_id(mailbox):
    _queue(3)
    mailbox.refuse_after = 1
    first = mail.deliver()
    assert (first.sent, first.failed) == (1, 2) and "451" in first.error
    with write_session() as s:
        waiting = s.exec(select(Mail).where(Mail.sent_at.is_(None))).all()
        assert len(waiting) == 2 and all(m.attempts == 1 and m.last_error for m in waiting)
        assert all(m.claimed_until is None for m in waiting)  # free for the next run
    mailbox.refuse_after = None
    second = mail.deliver()
    assert (second.sent, second.failed) == (2, 0)
    assert [m["Message-ID"] for m in mailbox.messages] == \
        [f"<test-{i}@imroc.invalid>" for i in range(3)]
    assert mail.deliver().sent == 0  # nothing is sent twice


def test_a_message_is_written_once_for_a_key():
    import pytest
    from sqlalchemy.exc import IntegrityError

    _queue(1)
    with pytest.raises(IntegrityError):
        _queue(1)


def test_text_stays_text_and_html_is_escaped(mailbox):
    with write_session() as s:
        mail.queue(s, kind="test", template="password_reset", subject="Hi",
                   to_email="a@example.org", to_name="<b>Ann</b> & co",
                   context={"reset_url": "https://imroc.example.org/x"})
        s.commit()
    mail.deliver()
    [message] = mailbox.messages
    assert "Dear <b>Ann</b> & co," in mailbox.text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Dear &lt;b&gt;Ann&lt;/b&gt; &amp; co," in html


def test_the_outbox_page_shows_messages_to_admins_and_says_when_none_are_sent(client, world):
    _queue(1)
    mail.deliver()
    sign_in(client, world.admin)
    page = client.get("/admin/mail").text
    assert "No mail server is set up" in page and "Message 0" in page
    assert "Written to the log" in page and "https://imroc.example.org/x" in page
    sign_in(client, world.programme)
    assert client.get("/admin/mail").status_code == 403


def test_with_a_mail_server_the_outbox_page_hides_what_messages_say(client, world, mailbox):
    _queue(1)
    mail.deliver()
    sign_in(client, world.admin)
    page = client.get("/admin/mail").text
    assert "No mail server is set up" not in page and "Sent " in page
    assert "https://imroc.example.org/x" not in page
