"""Requests cost what they need: no session lookup where no person is needed, the person
read in one statement, and a rating save in a handful of SQL statements (counted as they
reach the database)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import select

from imroc.db import get_engine
from imroc.models import AuditEvent, LearningSetFacilitator, Membership, Notification, Rating
from imroc.models.cycle import CycleCreate
from imroc.services import access, cycles
from imroc.web.page_cache import BODIES
from tests.core_loop import API, ratings
from tests.factories import (
    api_token,
    csrf_from,
    make_learning_set,
    make_member,
    make_site,
    sign_in,
)

SAVE_STATEMENTS = 6


@contextmanager
def counted() -> Iterator[list[str]]:
    """The SQL statements run inside the block, in order."""
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def _open(session, world):
    return cycles.open_cycle(session, site=world.site_a, data=CycleCreate(),
                             principal=access.load_principal(session, world.lead))


def _touching_sessions(statements: list[str]) -> list[str]:
    return [s for s in statements if "auth_session" in s]


# --- requests that need no person ----------------------------------------------------------------

def test_health_checks_and_static_files_never_read_the_session(client, session, world):
    sign_in(client, world.member)
    assert client.cookies.get("imroc_session")
    with counted() as statements:
        assert client.get("/healthz").status_code == 200
    assert statements == []
    with counted() as statements:
        assert client.get("/readyz").status_code == 200
        assert client.get("/static/css/app.css").status_code == 200
    assert statements and _touching_sessions(statements) == []


def test_a_page_for_a_person_still_reads_their_session(client, session, world):
    sign_in(client, world.member)
    with counted() as statements:
        assert client.get(f"/sites/{world.site_a.id}").status_code == 200
    assert len(_touching_sessions(statements)) == 1


def test_the_person_is_read_in_one_statement_with_every_place_they_hold(client, session, world):
    """Two memberships and two facilitated learning sets, all from the one lookup."""
    other = make_site(session, name="Site C", learning_set=world.set_b)
    make_member(session, site=other, role="site_lead", user=world.member)
    make_learning_set(session, name="Set C", facilitators=(world.member,))
    session.add(LearningSetFacilitator(learning_set_id=world.set_b.id, user_id=world.member.id))
    session.commit()
    sign_in(client, world.member)
    for url in (f"/sites/{world.site_a.id}", f"/sites/{other.id}",
                f"/learning-sets/{world.set_b.id}", f"/sites/{world.site_b.id}"):
        with counted() as statements:
            assert client.get(url).status_code == 200, url
        assert len(_touching_sessions(statements)) == 1, url


def test_a_role_taken_away_counts_from_the_next_request(client, session, world):
    sign_in(client, world.member)
    url = f"/sites/{world.site_a.id}"
    assert client.get(url).status_code == 200
    membership = session.exec(select(Membership).where(
        Membership.user_id == world.member.id)).one()
    session.delete(membership)
    session.commit()
    assert client.get(url).status_code == 404


def test_a_deactivated_person_is_signed_out_on_the_next_request(client, session, world):
    csrf = sign_in(client, world.member)
    assert client.get(f"/sites/{world.site_a.id}").status_code == 200
    world.member.is_active = False
    session.add(world.member)
    session.commit()
    page = client.get(f"/sites/{world.site_a.id}", follow_redirects=False)
    assert page.status_code in (303, 401), page.status_code
    cycle = _open(session, world)
    refused = client.post(f"/cycles/{cycle.id}/rate", data={"level_1": "2", "csrf_token": csrf},
                          follow_redirects=False)
    assert refused.status_code in (303, 401, 403), refused.status_code
    assert session.exec(select(Rating)).all() == []


# --- a rating save ---------------------------------------------------------------------------

def test_an_api_rating_save_runs_at_most_six_statements(client, session, world):
    cycle = _open(session, world)
    headers = api_token(client, world.member)
    # The first save of a running server reads the framework version once.
    client.put(f"{API}/cycles/{cycle.id}/ratings", json=ratings(0, challenges=[1]),
               headers=headers)
    for level in (1, 2):  # the first inserts nine rows and updates one, the second updates
        with counted() as statements:
            response = client.put(f"{API}/cycles/{cycle.id}/ratings", json=ratings(level),
                                  headers=headers)
        assert response.status_code == 200, response.text
        assert len(statements) <= SAVE_STATEMENTS, statements
        assert [r["level"] for r in response.json()["ratings"]] == [level] * 10
    stored = session.exec(select(Rating).where(Rating.cycle_id == cycle.id)).all()
    assert sorted((r.challenge, r.level, r.perspective) for r in stored) == [
        (c, 2, "lived_experience") for c in range(1, 11)]
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "rate")
                          .order_by(AuditEvent.id)).all()
    assert len(events) == 3
    assert events[1].before == {"levels": {"1": 0}}
    assert events[2].before == {"levels": {str(c): 1 for c in range(1, 11)}}
    assert events[2].after == {"levels": {str(c): 2 for c in range(1, 11)}}


def test_a_save_of_some_challenges_keeps_and_returns_the_others(client, session, world):
    cycle = _open(session, world)
    headers = api_token(client, world.member)
    client.put(f"{API}/cycles/{cycle.id}/ratings", json=ratings(1), headers=headers)
    response = client.put(f"{API}/cycles/{cycle.id}/ratings", json=ratings(3, challenges=[4]),
                          headers=headers)
    assert response.status_code == 200, response.text
    assert [(r["challenge"], r["level"]) for r in response.json()["ratings"]] == [
        (c, 3 if c == 4 else 1) for c in range(1, 11)]
    stored = session.exec(select(Rating).where(Rating.cycle_id == cycle.id)).all()
    assert len(stored) == 10 and {r.challenge: r.level for r in stored}[4] == 3


def test_a_page_rating_save_runs_at_most_six_statements(client, session, world):
    cycle = _open(session, world)
    csrf = sign_in(client, world.member)
    assert client.get(f"/cycles/{cycle.id}/rate").status_code == 200
    for level in ("2", "3"):
        with counted() as statements:
            response = client.post(f"/cycles/{cycle.id}/rate",
                                   data={"challenge": "1", "level_1": level, "comment_1": "Why"},
                                   headers={"HX-Request": "true", "X-CSRF-Token": csrf})
        assert response.status_code == 200, response.text
        assert len(statements) <= SAVE_STATEMENTS, statements
        assert f'value="{level}" checked' in response.text
        assert "1 of 10 rated" in response.text
    stored = session.exec(select(Rating).where(Rating.cycle_id == cycle.id)).all()
    assert [(r.challenge, r.level, r.comment) for r in stored] == [(1, 3, "Why")]


def test_templates_are_not_checked_on_disk_at_every_use_outside_development():
    from imroc.templating import env

    assert env.auto_reload is False


# --- kept dashboard pages -----------------------------------------------------------------------

def _nonce(response) -> str:
    policy = response.headers["content-security-policy"]
    return re.search(r"'nonce-([^']+)'", policy).group(1)


def test_a_kept_dashboard_is_drawn_for_each_person_and_request(client, session, world):
    """The frame is kept per person: each sees their own name and CSRF token, and every
    answer carries the nonce of its own Content-Security-Policy."""
    url = "/programme"
    seen = {}
    for user in (world.programme, world.admin):
        csrf = sign_in(client, user)
        first, second = client.get(url), client.get(url)
        for page in (first, second):
            assert page.status_code == 200
            assert user.name in page.text
            assert csrf_from(page.text) == csrf
            assert f'nonce="{_nonce(page)}"' in page.text
            assert "nonce=\"k" not in page.text  # no stand-in left behind
        assert _nonce(first) != _nonce(second)
        seen[user.name] = first.text
    assert world.admin.name not in seen[world.programme.name]
    assert "/admin/users" in seen[world.admin.name]  # the administrator's navigation
    assert "/admin/users" not in seen[world.programme.name]


def test_a_kept_page_is_what_a_fresh_drawing_gives(client, session, world):
    sign_in(client, world.programme)
    url = f"/learning-sets/{world.set_a.id}/dashboard?anonymise=true"
    BODIES.clear()
    fresh = client.get(url)
    kept = client.get(url)
    assert kept.text.replace(_nonce(kept), "N") == fresh.text.replace(_nonce(fresh), "N")


def test_a_kept_frame_follows_what_the_person_sees_in_the_header(client, session, world):
    """Neither a new notification nor a new name is audited data: the frame still shows them
    on the next request."""
    sign_in(client, world.programme)
    url = f"/sites/{world.site_a.id}/dashboard"
    assert "app-count" not in client.get(url).text
    session.add(Notification(user_id=world.programme.id, kind="reply", key="kept",
                             title="A reply", url="/discussion"))
    world.programme.name = "Pat Renamed"
    session.add(world.programme)
    session.commit()
    page = client.get(url).text
    assert '<span class="app-count">1</span>' in page
    assert "Pat Renamed" in page


def test_a_role_taken_away_counts_on_a_kept_dashboard(client, session, world):
    sign_in(client, world.lead)
    url = f"/sites/{world.site_a.id}/dashboard"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # kept
    membership = session.exec(select(Membership).where(
        Membership.user_id == world.lead.id)).one()
    session.delete(membership)
    session.commit()
    assert client.get(url).status_code == 404


# --- finding the route ---------------------------------------------------------------------------

def test_routers_turn_away_only_paths_none_of_their_routes_can_take(client, session, world):
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/api/v1/no-such-thing").status_code == 404
    assert client.post("/healthz").status_code == 405  # found, but not for this method
    headers = api_token(client, world.member)
    assert client.delete(f"{API}/sites/{world.site_a.id}", headers=headers).status_code == 405
    assert client.get(f"{API}/sites/{world.site_a.id}", headers=headers).status_code == 200


def test_route_shapes_are_counted_from_the_end_of_the_path():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from imroc.web.routing import Router, route_shapes

    inner = Router()

    @inner.get("/things/{thing_id}/parts")
    def parts(thing_id: int) -> dict:
        return {"thing": thing_id}

    @inner.get("/files/{name:path}")
    def files(name: str) -> dict:
        return {"name": name}

    assert route_shapes(inner.routes) is None  # a path parameter spanning segments
    inner.routes.pop()
    assert route_shapes(inner.routes) == {3: frozenset({("things", "parts")})}
    app = FastAPI()
    app.include_router(inner, prefix="/v2")
    with TestClient(app) as local:
        assert local.get("/v2/things/7/parts").json() == {"thing": 7}
        assert local.get("/v2/things/7/wholes").status_code == 404
        assert local.get("/things/7/parts").status_code == 404


def test_every_area_router_turns_away_paths_none_of_its_routes_can_take():
    # An area left on a plain APIRouter would still work, but every request would be matched
    # against all its routes again: each area's router is a Router whose shapes can be read.
    from imroc import api, routes
    from imroc.web.routing import Router, route_shapes

    for router in [*routes.ROUTERS, *api.ROUTERS]:
        assert isinstance(router, Router), router
        assert route_shapes(router.routes) is not None, [r.path for r in router.routes]
