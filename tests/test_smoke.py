from tests.factories import World, api_token, sign_in


def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text


def test_sign_in_and_pages(client, session):
    world = World(session)
    sign_in(client, world.admin)
    for path in ["/", "/sites", f"/sites/{world.site_a.id}", "/learning-sets", "/framework",
                 "/admin/users", "/admin/audit", f"/sites/{world.site_a.id}/members",
                 f"/sites/{world.site_a.id}/edit", "/sites/new", "/learning-sets/new",
                 f"/learning-sets/{world.set_a.id}", f"/learning-sets/{world.set_a.id}/edit",
                 "/admin/users/new", f"/admin/users/{world.member.id}/edit",
                 f"/sites/{world.site_a.id}/audit", "/docs"]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:2000])


def test_api(client, session):
    world = World(session)
    headers = api_token(client, world.programme)
    r = client.get("/api/v1/framework", headers=headers)
    assert r.status_code == 200
    assert len(r.json()["challenges"]) == 10
