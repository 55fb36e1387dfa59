"""Writing many rows of one table at once, for imports and seeding (one statement a chunk),
and inserting-or-updating a few rows in one statement."""

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel

CHUNK = 5000


def insert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict]) -> int:
    """Insert the rows (keys that are not the table's columns are left out); how many."""
    columns = set(model.__table__.columns.keys())
    clean = [{k: v for k, v in row.items() if k in columns} for row in rows]
    for i in range(0, len(clean), CHUNK):
        session.execute(insert(model.__table__), clean[i:i + CHUNK])
    return len(clean)


def upsert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict],
                keys: Sequence[str]) -> None:
    """Insert the rows, or update the other given columns of those whose `keys` (a unique
    constraint) exist already: one statement, on SQLite and PostgreSQL alike."""
    if not rows:
        return
    changed = tuple(name for name in rows[0] if name not in keys)
    # The rows go as parameters of one statement, built once for its table, dialect and
    # columns (building it cost more than running it) and compiled once.
    session.execute(_upsert(model.__table__, session.get_bind().dialect.name, tuple(keys),
                            changed), list(rows))


@lru_cache(maxsize=64)
def _upsert(table: Table, dialect: str, keys: tuple[str, ...], changed: tuple[str, ...]):
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={name: statement.excluded[name] for name in changed})
