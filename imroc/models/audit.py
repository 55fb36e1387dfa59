"""The audit trail: who changed what, when, before and after. Never deleted."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime


class AuditEvent(SQLModel, table=True):
    """One recorded change."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=True)
    )
    action: str = Field(sa_column=Column(String(60), nullable=False))
    entity: str = Field(sa_column=Column(String(60), nullable=False))
    entity_id: str = Field(sa_column=Column(String(60), nullable=False))
    site_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("site.id"), nullable=True, index=True),
    )
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
