"""Every answer of the API depends on who is asking, so none may be kept by a cache."""

import re

from tests.factories import PASSWORD, api_token
from tests.routing import all_routes


def test_every_api_route_answers_with_no_store(app, client, world):
    headers = api_token(client, world.lead)
    seen = 0
    for method, path in sorted(set(all_routes(app))):
        if not path.startswith("/api/"):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        if method == "DELETE" and "{" in path:
            url += "?version=1"
        r = client.request(method, url, headers=headers, json={} if method != "GET" else None)
        assert r.headers.get("cache-control") == "no-store", (method, path, r.status_code)
        seen += 1
    assert seen > 40  # the whole API, not a corner of it


def test_the_token_and_the_person_are_not_cached(client, world):
    token = client.post("/api/v1/auth/token", data={"username": world.lead.email,
                                                    "password": PASSWORD})
    assert token.status_code == 200
    me = client.get("/api/v1/me", headers=api_token(client, world.lead))
    for r in (token, me):
        assert r.headers["cache-control"] == "no-store"
