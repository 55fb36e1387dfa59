"""CSRF on every state-changing page route, and the security headers on every response."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select as sa_select
from sqlmodel import select

from imroc.db import get_engine
from imroc.main import create_app
from imroc.models import Membership, Site
from imroc.models.base import metadata
from tests.factories import PASSWORD, World, csrf_from, make_user, sign_in
from tests.routing import all_routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Where the shared form values below would be refused for another reason (a new person
# needs an unused email address).
OVERRIDES = {"/admin/users": {"email": "csrf.probe@example.org"}}
CSRF_REASONS = ("Your form has expired", "This request came from another website")


# The one state change a page takes without a CSRF token: a mail client's one-click
# unsubscribe (RFC 8058) cannot send one; the signed link is the permission, and all it can do
# is turn e-mail off (tested in test_notifications.py, a forged link included).
CSRF_EXEMPT = {("POST", "/unsubscribe/{token}")}


def _unsafe_page_routes() -> list[tuple[str, str]]:
    """Every state-changing route outside /api/ (the API takes bearer tokens only)."""
    return sorted({(method, path) for method, path in all_routes(create_app())
                   if method in UNSAFE and not path.startswith("/api/")} - CSRF_EXEMPT,
                  key=lambda mp: (mp[1], mp[0]))


def test_the_only_page_without_a_csrf_check_is_one_click_unsubscribe():
    from imroc.routes import links

    assert {(m, r.path) for r in links.routes for m in r.methods if m in UNSAFE} == CSRF_EXEMPT


UNSAFE_ROUTES = _unsafe_page_routes()


def test_route_enumeration_sees_the_known_forms():
    assert ("POST", "/sign-in") in UNSAFE_ROUTES
    assert ("POST", "/sign-out") in UNSAFE_ROUTES
    assert ("POST", "/sites/{site_id}/edit") in UNSAFE_ROUTES
    assert ("POST", "/admin/users") in UNSAFE_ROUTES
    assert not any(path.startswith("/api/") for _, path in UNSAFE_ROUTES)


def _fill(path: str, world: World, session) -> str:
    """Real ids for the path's parameters; a parameter added later gets an existing row's id."""
    membership = session.exec(select(Membership).where(
        Membership.user_id == world.member.id)).one()
    session.commit()
    known = {"site_id": world.site_a.id, "learning_set_id": world.set_a.id,
             "user_id": world.outsider.id, "membership_id": membership.id}

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in known:
            return str(known[name])
        table = metadata.tables.get(name.removesuffix("_id"))
        if table is not None and "id" in table.c:
            with get_engine().connect() as conn:
                found = conn.execute(sa_select(table.c.id).limit(1)).scalar()
            if found is not None:
                return str(found)
        return "1"

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def _snapshot() -> dict[str, list]:
    """Every row of every table, to show that a refused request changed nothing."""
    with get_engine().connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(t.select()).all()))
                for t in metadata.sorted_tables}


def _payload(world: World, session) -> dict[str, str]:
    """Plausible values for any of the app's forms, so that only the CSRF check refuses."""
    site = session.get(Site, world.site_a.id)
    session.commit()
    return {"name": "CSRF probe", "organisation": "Probe NHS Trust", "kind": "pilot",
            "region": "North West", "joined_on": "2020-04-01", "learning_set_id": "",
            "consultancy_days_allocated": "5", "days": "1", "purpose": "Probe",
            "delivered_by_name": "Probe trainer", "delivered_on": "2024-05-01",
            "email": world.outsider.email, "password": PASSWORD,
            "role": "site_member", "perspective": "staff", "global_role": "",
            "is_active": "false", "held_on": "2024-05-01", "title": "Probe meeting",
            "archive": "true", "version": str(getattr(site, "version", 1))}


@pytest.mark.parametrize("method, path", UNSAFE_ROUTES, ids=[f"{m} {p}" for m, p in UNSAFE_ROUTES])
def test_state_changing_route_refuses_missing_or_wrong_csrf(client, session, method, path):
    world = World(session)
    with TestClient(client.app, base_url="https://testserver") as other:
        other_token = sign_in(other, world.programme)  # a real token, but another session's
    good = sign_in(client, world.admin)
    url, data = _fill(path, world, session), _payload(world, session)
    data.update(OVERRIDES.get(path, {}))
    before = _snapshot()
    attempts = [
        ({}, data),
        ({}, {**data, "csrf_token": ""}),
        ({}, {**data, "csrf_token": "not-the-token"}),
        ({}, {**data, "csrf_token": other_token}),
        ({"X-CSRF-Token": other_token}, data),
        ({"Sec-Fetch-Site": "cross-site"}, {**data, "csrf_token": good}),
        ({"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": good}, data),
    ]
    for headers, form in attempts:
        response = client.request(method, url, data=form, headers=headers,
                                  follow_redirects=False)
        assert response.status_code == 403, (headers, form.get("csrf_token"), response.text[:300])
        assert any(reason in response.text for reason in CSRF_REASONS), response.text
    assert _snapshot() == before
    # The same request with this session's token gets past the check (an admin may still
    # be refused by a route's own rule, e.g. one for site leads only, but not for CSRF).
    passed = client.request(method, url, data={**data, "csrf_token": good},
                            headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert not any(reason in passed.text for reason in CSRF_REASONS), passed.text[:1000]
    if passed.status_code == 303:
        assert _snapshot() != before, "the control request should have changed something"


def test_anonymous_sign_in_needs_the_token_bound_to_the_visitor(client, session):
    user = make_user(session)
    form = {"email": user.email, "password": PASSWORD}
    assert client.post("/sign-in", data=form).status_code == 403
    token = csrf_from(client.get("/sign-in").text)
    with TestClient(client.app, base_url="https://testserver") as stranger:
        stranger_token = csrf_from(stranger.get("/sign-in").text)
    assert stranger_token != token
    refused = client.post("/sign-in", data={**form, "csrf_token": stranger_token})
    assert refused.status_code == 403
    ok = client.post("/sign-in", data={**form, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303


def test_htmx_header_is_accepted_in_place_of_the_field(client, session):
    world = World(session)
    token = sign_in(client, world.admin)
    data = _payload(world, session)
    response = client.post("/sites", data=data, follow_redirects=False,
                           headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert response.status_code == 303, response.text[:1000]
    assert session.exec(select(Site).where(Site.name == "CSRF probe")).one()
    session.commit()
    out = client.post("/sign-out", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_page_forms_carry_the_session_token(client, session):
    world = World(session)
    token = sign_in(client, world.admin)
    for path in ["/", "/sites/new", f"/sites/{world.site_a.id}/edit",
                 f"/sites/{world.site_a.id}/members", "/admin/users/new"]:
        html = client.get(path).text
        forms = re.findall(r'<form[^>]*method="post".*?</form>', html, re.S | re.I)
        assert forms, path
        for form in forms:
            assert f'name="csrf_token" value="{token}"' in form, (path, form[:300])


# --- security headers ------------------------------------------------------------------

def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    out: dict[str, list[str]] = {}
    for directive in filter(None, (d.strip() for d in policy.split(";"))):
        name, *values = directive.split()
        out[name] = values
    return out


def _assert_security_headers(response) -> str:
    h = response.headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] in {"same-origin", "strict-origin-when-cross-origin", "no-referrer"}
    assert h["strict-transport-security"].startswith("max-age=")
    assert int(re.search(r"max-age=(\d+)", h["strict-transport-security"]).group(1)) >= 31536000
    csp = _csp(response)
    script = csp.get("script-src", csp.get("default-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "'unsafe-inline'" not in csp.get("default-src", [])
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    nonces = [v[len("'nonce-"):-1] for v in script if v.startswith("'nonce-")]
    assert len(nonces) == 1 and len(nonces[0]) >= 16
    return nonces[0]


def test_security_headers_on_every_kind_of_response(client, session):
    world = World(session)
    token = client.post("/api/v1/auth/token", data={
        "username": world.admin.email, "password": PASSWORD}).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    responses = {
        "redirect": client.get("/", follow_redirects=False),
        "sign-in page": client.get("/sign-in"),
        "json": client.get("/healthz"),
        "api json": client.get("/api/v1/framework", headers=bearer),
        "api 401": client.get("/api/v1/me"),
        "api 404": client.get("/api/v1/nope", headers=bearer),
        "page 404": client.get("/no-such-page"),
        "static": client.get("/static/css/app.css"),
        "static 404": client.get("/static/no-such-file.css"),
        "openapi": client.get("/openapi.json"),
        "405": client.put("/healthz"),
    }
    sign_in(client, world.admin)
    responses["signed-in page"] = client.get(f"/sites/{world.site_a.id}")
    responses["csrf 403"] = client.post("/sign-out", data={})
    expected = {"redirect": 303, "api 401": 401, "api 404": 404, "page 404": 404,
                "static 404": 404, "405": 405, "csrf 403": 403}
    nonces = set()
    for name, response in responses.items():
        assert response.status_code == expected.get(name, 200), name
        nonces.add(_assert_security_headers(response))
    assert len(nonces) == len(responses), "the CSP nonce must differ per response"


def test_csp_nonce_matches_every_inline_script_on_the_page(client, session):
    world = World(session)
    for path in ["/sign-in", "/", f"/sites/{world.site_a.id}", "/docs", "/no-such-page"]:
        if path == "/":
            sign_in(client, world.admin)
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (200, 404), path
        nonce = _assert_security_headers(response)
        scripts = re.findall(r"<script\b([^>]*)>", response.text)
        inline = [attrs for attrs in scripts if "src=" not in attrs
                  and 'type="application/json"' not in attrs]
        if path == "/sign-in":
            assert inline, "the NHS.UK template has an inline script"
        for attrs in inline:
            assert f'nonce="{nonce}"' in attrs, (path, attrs)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", response.text), path  # no inline handlers


def test_a_server_error_still_carries_the_headers():
    app = create_app()

    @app.get("/boom-for-test")
    @app.get("/api/v1/boom-for-test")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        page, api = c.get("/boom-for-test"), c.get("/api/v1/boom-for-test")
    for response in (page, api):
        assert response.status_code == 500
        assert "secret internals" not in response.text
        _assert_security_headers(response)
    assert "problem with the service" in page.text
    assert "problem with the service" in api.json()["detail"]
