"""Connection settings that the data's safety depends on."""

import threading

from sqlalchemy import text

from imroc.db import get_engine, read_session, write_session
from imroc.models import Site
from tests.conftest import BACKEND
from tests.factories import make_site


def test_every_pooled_sqlite_connection_has_the_pragmas():
    if BACKEND != "sqlite":
        assert get_engine().dialect.name == "postgresql"
        return
    engine = get_engine()
    conns = [engine.connect() for _ in range(4)]  # several distinct pooled connections
    try:
        for conn in conns:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        for conn in conns:
            conn.close()


def test_foreign_keys_are_enforced(session):
    import pytest
    from sqlalchemy.exc import IntegrityError

    with write_session() as s:
        s.add(Site(name="Orphan", kind="no-such-kind"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_concurrent_read_modify_write_loses_nothing(session):
    """Writers take the lock up front, so 4 threads x 25 increments all land."""
    site = make_site(session)
    start = site.consultancy_days_allocated
    errors: list[Exception] = []

    def work() -> None:
        for _ in range(25):
            try:
                with write_session() as s:
                    row = s.get(Site, site.id, with_for_update=True)
                    row.consultancy_days_allocated += 1
                    s.add(row)
                    s.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with read_session() as s:
        assert s.get(Site, site.id).consultancy_days_allocated == start + 100


def test_readers_do_not_block_a_writer(session):
    make_site(session, name="Readable")
    with read_session() as reader:
        reader.exec(text("SELECT count(*) FROM site")).one()  # an open read transaction
        with write_session() as writer:
            writer.add(Site(name="Written while reading", kind="pilot"))
            writer.commit()
