"""Test set-up: a database built by the real migrations, emptied between tests.

IMROC_TEST_DATABASE=postgres runs everything against a fresh PostgreSQL database made
for this run (and dropped after); the default is a fresh SQLite file.
"""

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("IMROC_TEST_PG_ADMIN",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_tmp = Path(tempfile.mkdtemp(prefix="imroc-test-"))
_backend = os.environ.get("IMROC_TEST_DATABASE", "sqlite")
if _backend == "postgres":
    _dbname = f"imroc_test_{os.getpid()}_{secrets.token_hex(3)}"
    _url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{_dbname}"
else:
    _dbname = None
    _url = f"sqlite:///{_tmp / 'test.db'}"

os.environ.update({
    "IMROC_DATABASE_URL": _url,
    "IMROC_ENV": "test",
    "IMROC_SECRET_KEY": "test-secret-" + "x" * 40,
    "IMROC_LOG_LEVEL": "WARNING",
    "IMROC_FILES_DIR": str(_tmp / "files"),
})

from sqlalchemy import create_engine, text  # noqa: E402  (after the environment above)
from sqlmodel import Session  # noqa: E402  (after the environment above)

from imroc.db import get_engine, write_session  # noqa: E402  (after the environment above)
from imroc.models.base import metadata  # noqa: E402  (after the environment above)
from tests.core_loop import make_world  # noqa: E402  (after the environment above)
from tests.data_history import add_history  # noqa: E402  (after the environment above)
from tests.factories import World  # noqa: E402  (after the environment above)

BACKEND = _backend
DATABASE_URL = _url


def _admin_execute(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def pytest_report_header(config) -> str:
    return f"imroc test database: {BACKEND} ({DATABASE_URL})"


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked postgres_only belong to the PostgreSQL pass: the SQLite pass deselects them."""
    if BACKEND == "postgres":
        return
    dropped = [i for i in items if i.get_closest_marker("postgres_only")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if not i.get_closest_marker("postgres_only")]


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[str]:
    """Create the database and migrate it to head with Alembic, once per run."""
    from alembic import command

    from imroc.migrations_state import alembic_config

    if _dbname:
        _admin_execute(f'CREATE DATABASE "{_dbname}"')
    command.upgrade(alembic_config(), "head")
    yield DATABASE_URL
    get_engine().dispose()
    if _test_engine is not None:
        _test_engine.dispose()
    if _dbname:
        _admin_execute(f'DROP DATABASE IF EXISTS "{_dbname}" WITH (FORCE)')


def _empty_all_tables() -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with get_engine().execution_options(imroc_write=True).begin() as conn:
        if BACKEND == "postgres":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                              + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(autouse=True)
def clean_db(database: str) -> Iterator[None]:
    """Every test starts from empty tables plus the reference data."""
    from imroc.seed.reference import load_reference
    from imroc.services import frameworks

    _empty_all_tables()
    frameworks.forget_documents()
    with write_session() as session:
        load_reference(session)
    yield


_test_engine = None


@pytest.fixture
def session() -> Iterator[Session]:
    """A session for arranging and checking data. Each statement commits on its own, so it
    never holds a lock or an old snapshot while the app under test works."""
    global _test_engine
    if _test_engine is None:
        from imroc.db import make_engine

        _test_engine = make_engine(DATABASE_URL, autocommit=True)
    with Session(_test_engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def app():
    from imroc.main import create_app

    return create_app()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as c:
        yield c


@pytest.fixture
def browser(app):
    """browser(user) -> a signed-in page Browser (tests/pages.py) with its own cookies."""
    from contextlib import ExitStack

    from fastapi.testclient import TestClient

    from tests.pages import Browser

    with ExitStack() as stack:
        def make(user) -> Browser:
            return Browser(stack.enter_context(TestClient(app, base_url="https://testserver")),
                           user)
        yield make


@pytest.fixture
def world(request, session) -> World:
    """Two sites in two learning sets with a person in every role (tests/factories.World);
    in modules marked `with_history`, with the past cycles of tests/data_history.py too."""
    made = World(session)
    if request.node.get_closest_marker("with_history"):
        made.history = add_history(session, made)
    return made


@pytest.fixture
def w(session, client) -> World:
    """The same world with an API token for every role, as w.h["lead"] and so on."""
    return make_world(session, client)


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd), keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse_after: int | None = None  # accept this many, then refuse the rest

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        if self.refuse_after is not None and len(self.messages) >= self.refuse_after:
            return "451 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def text_of(self, message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link_in(self, message, prefix: str) -> str:
        """The path of the first link to the service in a message's plain text."""
        import re

        found = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s]*)",
                          self.text_of(message))
        assert found, f"no link starting {prefix} in:\n{self.text_of(message)}"
        return found.group(1)


@pytest.fixture
def mailbox(monkeypatch) -> Iterator[Mailbox]:
    """Mail goes to a real SMTP server started for the test; IMROC_SMTP_URL points at it."""
    import socket

    from aiosmtpd.controller import Controller

    from imroc.config import get_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("IMROC_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("IMROC_BASE_URL", "https://imroc.example.org")
    get_settings.cache_clear()
    try:
        yield box
    finally:
        controller.stop()
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID provider (tests/oidc_provider.py) for this test process."""
    from tests.oidc_provider import OidcProvider

    provider = OidcProvider(["https://testserver"])
    yield provider
    provider.stop()


@pytest.fixture
def sso(oidc_provider, monkeypatch):
    """Single sign-on set up against the test provider, with its accounts as they start."""
    from imroc.config import get_settings

    oidc_provider.reset_accounts()
    for key, value in oidc_provider.env(IMROC_BASE_URL="https://testserver",
                                        IMROC_OIDC_ALLOWED_DOMAINS="",
                                        IMROC_OIDC_ALLOWED_TENANTS="").items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield oidc_provider
    get_settings.cache_clear()
