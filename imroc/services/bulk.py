"""Writing many rows of one table at once, for imports and seeding (one statement a chunk)."""

from collections.abc import Sequence

from sqlalchemy import insert
from sqlmodel import Session, SQLModel

CHUNK = 5000


def insert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict]) -> int:
    """Insert the rows (keys that are not the table's columns are left out); how many."""
    columns = set(model.__table__.columns.keys())
    clean = [{k: v for k, v in row.items() if k in columns} for row in rows]
    for i in range(0, len(clean), CHUNK):
        session.execute(insert(model.__table__), clean[i:i + CHUNK])
    return len(clean)
