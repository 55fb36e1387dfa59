"""Writing many rows of one table at once, for imports and seeding (one statement a chunk),
and inserting-or-updating a few rows in one statement."""

from collections.abc import Sequence

from sqlalchemy import insert
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
    table = model.__table__
    dialect = session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    changed = [name for name in rows[0] if name not in keys]
    # The rows go as parameters of one statement whose compiled form is kept between calls
    # (rows written into the statement itself would be compiled afresh every time).
    session.execute(statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={name: statement.excluded[name] for name in changed}), list(rows))
