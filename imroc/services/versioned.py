"""Compare-and-set saves for versioned records: a stale edit never overwrites a newer one."""

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from imroc.clock import utcnow


def save_if_unchanged(session: Session, model: Any, row_id: int, version: int,
                      values: dict[str, Any], at: datetime | None = None) -> bool:
    """Update the row only if it is still at `version` (checked in the UPDATE itself, so two
    saves can never both win), moving it to the next version. True when this save won."""
    result = session.execute(update(model).where(
        model.id == row_id, model.version == version).values(
        **values, version=model.version + 1, updated_at=at or utcnow()))
    return result.rowcount == 1
