"""The database engine, connection settings and the request session."""

import threading
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from imroc.config import get_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITER_WAIT_SECONDS = 30


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout on every connection; BEGIN IMMEDIATE for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    # Writers in this process queue on a lock before asking SQLite: SQLite's own busy
    # handler polls with sleeps of up to 100 ms, which wastes most of the time under load.
    writers = threading.Lock()

    def _release(info: dict) -> None:
        if info.pop("imroc_writer", False):
            writers.release()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A writer takes the write lock up front, so a read-then-write cannot fail
        # half-way with "database is locked"; readers stay deferred and concurrent.
        options = conn.get_execution_options()
        if options.get("imroc_autocommit"):
            return  # each statement commits on its own (maintenance and test helpers)
        if not options.get("imroc_write"):
            conn.exec_driver_sql("BEGIN")
            return
        if writers.acquire(timeout=WRITER_WAIT_SECONDS):
            conn.info["imroc_writer"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            _release(conn.info)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(conn):
        # Fired just before the commit itself: the next writer's BEGIN IMMEDIATE waits
        # the last moment in SQLite's busy handler (its first sleeps are 1-2 ms).
        _release(conn.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn):
        _release(conn.info)

    @event.listens_for(engine.pool, "reset")
    def _on_reset(_dbapi_conn, record, _state):
        _release(record.info)  # never leak the lock with a connection returned to the pool


def make_engine(url: str, *, autocommit: bool = False) -> Engine:
    """Create an engine for a database URL with the settings this service relies on."""
    if autocommit and not url.startswith("sqlite"):
        return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=2)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8,
            max_overflow=16,
        )
        _configure_sqlite(engine)
        return engine.execution_options(imroc_autocommit=True) if autocommit else engine
    return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=16)


@lru_cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return _engine_for(get_settings().database_url)


@lru_cache
def _writer(engine: Engine) -> Engine:
    return engine.execution_options(imroc_write=True)


def write_session() -> Session:
    """A session whose transactions take the write lock at once (CLI, seeding, tests)."""
    return Session(_writer(get_engine()), expire_on_commit=False)


@lru_cache
def _apart(engine: Engine) -> Engine:
    if engine.dialect.name == "sqlite":
        return engine.execution_options(imroc_autocommit=True)
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def lookup_session() -> Session:
    """A session whose statements each stand alone, outside any transaction (one-statement
    reads made before a request's own transaction begins)."""
    return Session(_apart(get_engine()), expire_on_commit=False)


def read_session() -> Session:
    """A session for reading only."""
    return Session(get_engine(), expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request: writers for unsafe methods, readers otherwise.

    Making a session does no I/O, so it is made here, without a turn in the thread pool (each
    costs about as much as a small query)."""
    reading = request.method in SAFE_METHODS
    session = read_session() if reading else write_session()
    try:
        yield session
    finally:
        # Ending a read on SQLite (WAL) is a call into the library that never waits for a
        # lock; anything else may wait for the database, so it runs in the pool.
        if session.in_transaction() and not (reading and get_settings().is_sqlite):
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]
