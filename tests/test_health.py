"""Liveness, readiness and request limits."""

from sqlalchemy import create_engine

from imroc import db


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_database_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_readyz_is_503_not_a_traceback_when_the_database_is_unreachable(client, monkeypatch):
    dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                         connect_args={"connect_timeout": 1})
    monkeypatch.setattr("imroc.routes.home.get_engine", lambda: dead)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200  # recovers when the database returns


def test_readyz_is_503_when_migrations_are_behind(client, monkeypatch):
    monkeypatch.setattr("imroc.migrations_state.head_revision", lambda: "not-the-head")
    response = client.get("/readyz")
    assert response.status_code == 503 and "migrations" in response.json()["reason"]


def test_oversize_request_body_is_refused_with_413(client):
    big = b"x" * (10 * 1024 * 1024 + 1)
    response = client.post("/api/v1/auth/token", content=big,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_engine_is_shared_per_url():
    assert db.get_engine() is db.get_engine()


def test_a_wrong_method_lists_every_allowed_method(client):
    response = client.request("PUT", "/api/v1/sites")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}


def test_ids_outside_the_database_range_are_refused_not_crashed(client, session):
    from tests.factories import World, api_token

    headers = api_token(client, World(session).programme)
    for bad in ("0", "-1", str(2**31), str(2**63 + 1)):
        response = client.get(f"/api/v1/sites/{bad}", headers=headers)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["field"] == "site_id"


def test_an_oversize_upload_from_a_page_gets_a_page_saying_what_to_do(client):
    big = b"x" * (10 * 1024 * 1024 + 1)
    response = client.post("/data/import", content=big,
                           headers={"content-type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "The file is too large" in response.text and "imroc import" in response.text
    assert "default-src" in response.headers["content-security-policy"]
