"""Alembic environment: metadata from imroc.models, URL from the app's settings."""

from alembic import context

import imroc.models  # noqa: F401  (registers every table, naming convention first)
from imroc.config import get_settings
from imroc.db import make_engine
from imroc.models.base import metadata

config = context.config


def run_offline() -> None:
    url = get_settings().database_url
    context.configure(url=url, target_metadata=metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().database_url)
    try:
        with engine.execution_options(imroc_write=True).connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:
    # SQLite cannot ALTER most things: batch mode recreates tables. Foreign keys are
    # switched off around it so a recreated parent cannot cascade into its children.
    is_sqlite = connection.dialect.name == "sqlite"
    if is_sqlite:
        # On the raw connection, outside any transaction: inside one the pragma is ignored.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=is_sqlite, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
    if is_sqlite:
        connection.commit()
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
