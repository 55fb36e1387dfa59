"""E-mail: every message the service sends goes through this outbox first."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime


class Mail(SQLModel, table=True):
    """One message to one person. Written in the same transaction as what it tells of, then
    delivered (by the request that made it, after its answer, or by `imroc reminders send`).
    Its Message-ID never changes, so a message delivered twice is recognised as one."""

    __tablename__ = "mail"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="SET NULL"),
                         index=True))
    to_email: str = Field(sa_column=Column(String(254), nullable=False))
    to_name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    subject: str = Field(sa_column=Column(String(300), nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))
    # Where "unsubscribe" leads (RFC 8058); empty for messages someone asked for (a reset).
    unsubscribe_url: str = Field(default="", sa_column=Column(String(500), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A sender takes a message until this moment, so two senders never both take it.
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    sent_via: str = Field(default="", sa_column=Column(String(10), nullable=False))
    attempts: int = 0
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False))
