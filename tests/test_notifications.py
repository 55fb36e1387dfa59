"""Notifications in the product and by e-mail (read back from a real SMTP server), each
person's choices, one-click unsubscribe, and `imroc reminders send`."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from imroc import clock
from imroc.cli.app import app as cli
from imroc.db import write_session
from imroc.models import Action, Cycle, Mail, Notification, User
from imroc.models.cycle import CycleCreate
from imroc.services import cycles, mail
from imroc.services.access import load_principal
from tests.factories import api_token, csrf_from, sign_in

runner = CliRunner()


def _open(session, world, **data):
    return cycles.open_cycle(session, site=world.site_a, data=CycleCreate(**data),
                             principal=load_principal(session, world.lead))


def test_an_opened_assessment_reaches_the_steering_group_in_the_product(client, session, world):
    cycle = _open(session, world)
    headers = api_token(client, world.member)
    first = client.get("/api/v1/me/notifications", headers=headers).json()
    assert client.get("/api/v1/me/notifications", headers=headers).json() == first  # reads only
    [notice] = first
    assert (notice["kind"], notice["title"], notice["url"], notice["read"]) == (
        "assessment_open", "Cycle 1 of Site A is open: rate the ten challenges",
        f"/cycles/{cycle.id}/rate", False)
    assert client.get("/api/v1/me/notifications",
                      headers=api_token(client, world.member_b)).json() == []
    sign_in(client, world.member)
    page = client.get("/").text
    assert 'href="/notifications">Notifications <span class="app-count">1</span>' in page
    listing = client.get("/notifications").text
    opened = client.post(f"/notifications/{notice['id']}/open",
                         data={"csrf_token": csrf_from(listing)}, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == notice["url"]
    assert client.get("/api/v1/me/notifications", headers=headers).json()[0]["read"] is True
    assert 'class="app-count"' not in client.get("/").text
    other = api_token(client, world.member_b)
    assert client.post(f"/api/v1/me/notifications/{notice['id']}/read",
                       headers=other).status_code == 404


def test_notices_go_by_email_with_one_click_unsubscribe(client, session, world, mailbox):
    _open(session, world)
    mail.deliver()
    to_member = [m for m in mailbox.messages if world.member.email in m["To"]]
    [message] = to_member
    assert message["Subject"] == "Cycle 1 of Site A is open: rate the ten challenges"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://imroc.example.org/unsubscribe/")
    assert "rate the ten challenges" in mailbox.text_of(message)
    path = link.removeprefix("https://imroc.example.org")
    # What a mail client does for one click: a POST with no cookie and no token.
    client.cookies.clear()
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You have been unsubscribed" in done.text
    assert client.post(path[:-4] + "0000").status_code == 404  # a forged link does nothing
    with write_session() as s:
        assert s.get(User, world.member.id).mail_muted == "assessment_open"


def test_each_person_chooses_which_emails_or_a_weekly_digest(client, session, world, mailbox):
    sign_in(client, world.member)
    page = client.get("/account/notifications").text
    saved = client.post("/account/notifications", data={
        "csrf_token": csrf_from(page), "choice": "digest",
        "kinds": ["assessment_open", "cycle_closed"]}, follow_redirects=False)
    assert saved.status_code == 303
    assert "Your choices have been saved" in client.get(saved.headers["location"]).text
    _open(session, world)
    mail.deliver()
    assert [m for m in mailbox.messages if world.member.email in m["To"]] == []
    assert runner.invoke(cli, ["reminders", "send"]).exit_code == 0
    [digest] = [m for m in mailbox.messages if world.member.email in m["To"]]
    assert digest["Subject"] == "Your week on ImROC self-audit: 1 notification"
    assert "Cycle 1 of Site A is open" in mailbox.text_of(digest)
    assert digest["List-Unsubscribe"]
    assert runner.invoke(cli, ["reminders", "send"]).exit_code == 0
    assert len([m for m in mailbox.messages if world.member.email in m["To"]]) == 1


def test_reminders_are_written_once_and_the_dry_run_changes_nothing(session, world, mailbox):
    today = clock.today()
    _open(session, world, started_on=today - timedelta(days=100),
                  review_due_on=today - timedelta(days=2))
    mail.deliver()
    before = len(mailbox.messages)
    dry = runner.invoke(cli, ["reminders", "send", "--dry-run"])
    said = " ".join(dry.output.split())
    assert dry.exit_code == 0 and "1 reminders due" in said and "Nothing was changed" in said
    with write_session() as s:
        assert not s.exec(select(Notification).where(Notification.kind == "review_due")).all()
    first = runner.invoke(cli, ["reminders", "send"])
    assert first.exit_code == 0, first.output
    [reminder] = mailbox.messages[before:]
    assert world.lead.email in reminder["To"]
    assert reminder["Subject"] == (f"The review of cycle 1 of Site A was due on "
                                   f"{today - timedelta(days=2):%-d %B %Y}")
    again = runner.invoke(cli, ["reminders", "send"])
    assert again.exit_code == 0 and len(mailbox.messages) == before + 1


def _overdue_actions(session, world, n: int) -> None:
    """n overdue actions owned by the member, in an open cycle of site A."""
    cycle = _open(session, world)
    with write_session() as s:
        row = s.get(Cycle, cycle.id)
        row.stage = "do"
        s.add(row)
        for i in range(n):
            s.add(Action(cycle_id=cycle.id, challenge=3, title=f"Step {i}", owner="x",
                         owner_id=world.member.id, due_on=clock.today() - timedelta(days=1)))
        s.commit()


@pytest.mark.postgres_only
def test_two_servers_sending_at_once_send_each_reminder_once(session, world, mailbox):
    from tests.conftest import DATABASE_URL

    _overdue_actions(session, world, 40)
    env = {**os.environ, "IMROC_DATABASE_URL": DATABASE_URL}
    command = [sys.executable, "-m", "imroc.cli", "reminders", "send"]
    both = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in both]
    assert [p.returncode for p in both] == [0, 0], outputs
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == len(set(ids)), "a message was sent twice"
    with write_session() as s:
        sent = s.exec(select(Mail).where(Mail.kind == "notice:action_overdue")).all()
        assert len(sent) == 40 + 40  # to the owner and to the lead, each once
        assert all(m.sent_at is not None for m in sent)
    assert len([i for i in ids if "notice-" in i]) >= 80


def test_a_mail_server_that_fails_loses_nothing_for_the_next_run(session, world, mailbox):
    _overdue_actions(session, world, 3)
    mailbox.refuse_after = 2
    failed = runner.invoke(cli, ["reminders", "send"])
    said = " ".join(failed.output.split())
    assert failed.exit_code == 1 and "2 messages sent" in said and "left for the next run" in said
    mailbox.refuse_after = None
    again = runner.invoke(cli, ["reminders", "send"])
    assert again.exit_code == 0, again.output
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == len(set(ids))
    with write_session() as s:
        assert all(m.sent_at for m in s.exec(select(Mail)).all())
