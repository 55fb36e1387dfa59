"""Keeping a session alive while the person works, on reads and on writes."""

import time
from datetime import timedelta

from sqlmodel import select

from imroc.clock import utcnow
from imroc.db import write_session
from imroc.models import AuthSession
from tests.factories import World, sign_in


def _age_sessions(minutes: int) -> None:
    with write_session() as s:
        for row in s.exec(select(AuthSession)).all():
            row.last_seen_at = utcnow() - timedelta(minutes=minutes)
            s.add(row)
        s.commit()


def test_a_form_post_after_a_quiet_spell_is_not_blocked_by_its_own_touch(client, session):
    """The touch of last_seen_at happens in the request's own writer, not a second one."""
    world = World(session)
    csrf = sign_in(client, world.programme)
    _age_sessions(5)
    started = time.perf_counter()
    response = client.post("/learning-sets", data={"name": "Quiet spell set", "region": "",
                                                   "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert time.perf_counter() - started < 5
    with write_session() as s:
        row = s.exec(select(AuthSession)).one()
        assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_a_page_view_keeps_the_session_alive(client, session):
    world = World(session)
    sign_in(client, world.member)
    _age_sessions(30)
    assert client.get("/").status_code == 200
    with write_session() as s:
        row = s.exec(select(AuthSession)).one()
        assert utcnow() - row.last_seen_at < timedelta(minutes=1)
