"""The heartbeat: one row that /readyz writes and commits, to prove the database takes writes."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime


class Heartbeat(SQLModel, table=True):
    """The last moment a readiness check wrote to the database (always row 1)."""

    __tablename__ = "heartbeat"

    id: int | None = Field(default=None, primary_key=True)
    beat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
