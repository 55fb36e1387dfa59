"""The schema belongs to Alembic: round trip on an empty database, no drift, populated upgrade."""

import secrets

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from imroc.db import make_engine
from imroc.migrations_state import alembic_config, head_revision
from imroc.models.base import metadata
from tests.conftest import BACKEND, PG_ADMIN_URL


@pytest.fixture
def empty_database(tmp_path, monkeypatch):
    """A brand-new empty database of the same kind as the suite's, pointed at by settings."""
    from imroc.config import get_settings
    from imroc.db import _engine_for

    if BACKEND == "postgres":
        name = f"imroc_mig_{secrets.token_hex(4)}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'migrations.db'}"
    monkeypatch.setenv("IMROC_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    _engine_for(url).dispose()
    get_settings.cache_clear()
    if BACKEND == "postgres":
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _drift(url: str) -> list:
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                metadata)
    engine.dispose()
    return diff


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_check_downgrade_upgrade(empty_database):
    config = alembic_config()
    command.upgrade(config, "head")
    assert _drift(empty_database) == []
    command.check(config)  # raises if the models and the migrations disagree
    assert set(metadata.tables) <= _tables(empty_database)
    command.downgrade(config, "base")
    assert _tables(empty_database) - {"alembic_version"} == set()
    command.upgrade(config, "head")
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == \
            head_revision()
    engine.dispose()


def test_the_suite_database_has_no_drift(database):
    assert _drift(database) == []


def test_existing_sites_each_get_their_own_uid(empty_database):
    """The site uid migration backfills every row of a populated database, and goes back."""
    import uuid

    config = alembic_config()
    command.upgrade(config, "a668e86f3b35")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO site_kind (code, label, default_consultancy_days, "
                          "sort_order) VALUES ('pilot', 'Pilot', 30, 1)"))
        for name in ("North", "South", "East"):
            conn.execute(text(
                "INSERT INTO site (name, organisation, kind, region, consultancy_days_allocated,"
                " consultancy_days_used, version, created_at, updated_at) VALUES (:n, '', "
                "'pilot', '', 30, 0, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                {"n": name})
    command.upgrade(config, "94eb0d3060d2")
    with engine.connect() as conn:
        uids = [r[0] for r in conn.execute(text("SELECT uid FROM site ORDER BY id"))]
    assert len(uids) == 3 and len(set(uids)) == 3
    assert all(str(uuid.UUID(u)) == u for u in uids)
    command.downgrade(config, "a668e86f3b35")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM site")).scalar() == 3


CONSULTANCY = "270b5d1e4d53"  # consultancy days become dated entries


def test_consultancy_counts_become_entries_and_come_back(empty_database):
    """A populated database: a hand-kept count becomes one dated entry (none for zero), dated
    when the site joined; going back sums the entries, rounding half days up."""
    config = alembic_config()
    command.upgrade(config, f"{CONSULTANCY}-1")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO site_kind (code, label, default_consultancy_days, "
                          "sort_order) VALUES ('pilot', 'Pilot site', 30, 0)"))
        for sid, name, used, joined in ((1, "Used", 12, "2024-02-01"), (2, "None", 0, None)):
            conn.execute(text(
                "INSERT INTO site (id, uid, name, organisation, kind, region, joined_on, "
                "consultancy_days_allocated, consultancy_days_used, version, created_at, "
                "updated_at) VALUES (:id, :uid, :name, '', 'pilot', '', :joined, 30, :used, 1, "
                "'2024-01-05 10:00:00+00:00', '2024-01-05 10:00:00+00:00')"),
                {"id": sid, "uid": f"00000000-0000-4000-8000-00000000000{sid}", "name": name,
                 "used": used, "joined": joined})
    engine.dispose()
    command.upgrade(config, CONSULTANCY)
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT site_id, delivered_on, days, purpose "
                                 "FROM consultancy_entry")).all()
        assert [(r[0], str(r[1]), float(r[2]), r[3]) for r in rows] == [
            (1, "2024-02-01", 12.0, "Days recorded before dated entries")]
        assert conn.execute(text("SELECT count(*) FROM site")).scalar() == 2
        conn.execute(text(
            "INSERT INTO consultancy_entry (site_id, delivered_on, days, purpose, "
            "delivered_by_name, version, created_at, updated_at) VALUES (1, '2024-03-01', "
            "0.5, 'Workshop', 'Pat Peer', 1, '2024-03-01 10:00:00+00:00', "
            "'2024-03-01 10:00:00+00:00')"))
    engine.dispose()
    command.downgrade(config, f"{CONSULTANCY}-1")
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, consultancy_days_used FROM site ORDER BY id")
                            ).all() == [(1, 13), (2, 0)]
    engine.dispose()
