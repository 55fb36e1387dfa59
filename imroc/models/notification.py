"""Notifications: what happened or is due, for one person, in the product and by e-mail."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime


class NotificationKind(StrEnum):
    assessment_open = "assessment_open"
    review_due = "review_due"
    action_due = "action_due"
    action_overdue = "action_overdue"
    values_due = "values_due"
    consensus_signed_off = "consensus_signed_off"
    feedback = "feedback"
    cycle_closed = "cycle_closed"
    mention = "mention"
    reply = "reply"


KIND_LABELS = {
    "assessment_open": "A new assessment opens at your site",
    "review_due": "A cycle's review date is near or has passed",
    "action_due": "An action you own is due soon",
    "action_overdue": "An action you own, or one of your site's, is overdue",
    "values_due": "Measure values are due",
    "consensus_signed_off": "A consensus is signed off",
    "feedback": "Feedback arrives on your site's cycle",
    "cycle_closed": "A cycle closes",
    "mention": "Someone mentions you in a discussion",
    "reply": "Someone replies in a discussion you took part in",
}


class Notification(SQLModel, table=True):
    """One notice for one person. `key` names what it is about, so the same reminder is
    never written twice for them, however many servers run the reminders at once."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(
        Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False))
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    key: str = Field(sa_column=Column(String(200), nullable=False))
    title: str = Field(sa_column=Column(String(500), nullable=False))
    url: str = Field(sa_column=Column(String(500), nullable=False))
    site_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("site.id", ondelete="CASCADE")))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set once the notice has gone by e-mail, alone or in a weekly digest.
    mailed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationPublic(BaseModel):
    id: int
    kind: str
    title: str
    url: str
    site_id: int | None
    created_at: datetime
    read: bool
