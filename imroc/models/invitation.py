"""Invitations: a single-use link by e-mail to join a site's steering group or take a role."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.models.user import EMAIL_PATTERN, Perspective, SiteRole
from imroc.validation import Id, InputModel


class Invitation(SQLModel, table=True):
    """Someone asked to join, by e-mail; stored by the hash of the link's secret."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    email: str = Field(sa_column=Column(String(254), nullable=False, index=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(sa_column=Column(String(20), nullable=False))
    perspective: str | None = Field(default=None, sa_column=Column(String(20)))
    site_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("site.id", ondelete="CASCADE"), index=True))
    learning_set_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("learning_set.id", ondelete="CASCADE")))
    invited_by_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("user_account.id", ondelete="SET NULL")))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_by_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("user_account.id", ondelete="SET NULL")))
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OtherRole(StrEnum):
    """Roles without a site, given by an invitation."""

    facilitator = "facilitator"
    programme_team = "programme_team"
    admin = "admin"


ASK_INVITE = {"email": "Enter their email address", "name": "Enter their name",
              "role": "Select a role", "perspective": "Select a perspective"}


class SiteInvitationIn(InputModel):
    email: str = PField(max_length=254, pattern=EMAIL_PATTERN)
    name: str = PField(min_length=1, max_length=200)
    role: SiteRole
    perspective: Perspective
    ASK: ClassVar[dict[str, str]] = ASK_INVITE


class InvitationIn(InputModel):
    email: str = PField(max_length=254, pattern=EMAIL_PATTERN)
    name: str = PField(min_length=1, max_length=200)
    role: OtherRole
    learning_set_id: Id | None = None
    ASK: ClassVar[dict[str, str]] = ASK_INVITE


class InvitationPublic(BaseModel):
    id: int
    email: str
    name: str
    role: str
    perspective: str | None
    site_id: int | None
    learning_set_id: int | None
    created_at: datetime
    sent_at: datetime
    expires_at: datetime
    status: str
