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


def _read_only_engine():
    """The test database opened read-only: SQLite's mode=ro, PostgreSQL's read-only
    transactions (as on a standby after a fail-over)."""
    from sqlalchemy.engine import make_url

    from tests.conftest import BACKEND, DATABASE_URL

    if BACKEND == "sqlite":
        path = make_url(DATABASE_URL).database
        return db.make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    return create_engine(DATABASE_URL, connect_args={
        "options": "-c default_transaction_read_only=on"})


def test_readyz_commits_a_heartbeat(client, session):
    from sqlalchemy import text

    assert client.get("/readyz").status_code == 200
    first = session.execute(text("SELECT beat_at FROM heartbeat WHERE id = 1")).scalar()
    assert first is not None
    assert client.get("/readyz").status_code == 200
    assert session.execute(text("SELECT count(*) FROM heartbeat")).scalar() == 1


def test_readyz_is_503_when_the_database_cannot_be_written(client, monkeypatch):
    read_only = _read_only_engine()
    monkeypatch.setattr("imroc.routes.home.write_session",
                        lambda: db.Session(read_only, expire_on_commit=False))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "the database cannot be written"
    assert response.headers["retry-after"] == "30"
    monkeypatch.undo()
    read_only.dispose()
    assert client.get("/readyz").status_code == 200


def test_a_write_the_database_refuses_is_503_with_a_plain_message(client, session, monkeypatch):
    from tests.factories import World, api_token, sign_in

    world = World(session)
    headers = api_token(client, world.programme)
    csrf = sign_in(client, world.programme)
    read_only = _read_only_engine()
    monkeypatch.setattr("imroc.db.get_engine", lambda: read_only)
    r = client.post("/api/v1/learning-sets", json={"name": "Never stored"}, headers=headers)
    assert r.status_code == 503 and r.headers["retry-after"] == "30"
    assert "cannot save changes at the moment" in r.json()["detail"]
    r = client.post("/learning-sets", data={"csrf_token": csrf, "name": "Never stored"})
    assert r.status_code == 503 and "cannot save changes at the moment" in r.text
    assert "Traceback" not in r.text
    monkeypatch.undo()
    read_only.dispose()
    from sqlmodel import select

    from imroc.models import LearningSet
    assert [s for s in session.exec(select(LearningSet)).all() if s.name == "Never stored"] == []


def test_a_missing_sqlite_file_is_an_error_at_start_up_in_production(monkeypatch, tmp_path):
    import pytest

    from imroc.config import get_settings
    from imroc.main import create_app

    monkeypatch.setenv("IMROC_ENV", "production")
    monkeypatch.setenv("IMROC_COOKIE_SECURE", "true")
    monkeypatch.setenv("IMROC_DATABASE_URL", f"sqlite:///{tmp_path / 'gone.db'}")
    get_settings.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="does not exist"):
            create_app()
        assert not (tmp_path / "gone.db").exists()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
