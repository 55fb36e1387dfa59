"""Sites taking part, their kinds, learning sets, facilitators and meetings."""

import secrets
import uuid
from datetime import date, datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import Days, UTCDateTime
from imroc.validation import Day, Id, InputModel, Version, Whole, WorkedOut


class SiteKind(SQLModel, table=True):
    """A kind of site (pilot, demonstration, learning-set only...), managed as data."""

    __tablename__ = "site_kind"

    code: str = Field(sa_column=Column(String(40), primary_key=True))
    label: str = Field(sa_column=Column(String(100), nullable=False))
    default_consultancy_days: int = 0
    sort_order: int = 0


class LearningSet(SQLModel, table=True):
    """A group of sites that meet and learn together, with facilitators."""

    __tablename__ = "learning_set"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    region: str = Field(default="", sa_column=Column(String(100), nullable=False))
    # The random order of the letters that hide its sites' names (services/anonymise.py).
    letter_seed: str = Field(default_factory=lambda: secrets.token_hex(16),
                             sa_column=Column(String(32), nullable=False, server_default=""))
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LearningSetFacilitator(SQLModel, table=True):
    """A facilitator attached to a learning set."""

    __tablename__ = "learning_set_facilitator"

    learning_set_id: int = Field(
        sa_column=Column(Integer, ForeignKey("learning_set.id"), primary_key=True)
    )
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id"), primary_key=True, index=True)
    )


class Meeting(SQLModel, table=True):
    """A dated meeting of a learning set."""

    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    learning_set_id: int = Field(
        sa_column=Column(Integer, ForeignKey("learning_set.id"), nullable=False, index=True)
    )
    held_on: date
    title: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Site(SQLModel, table=True):
    """An organisation taking part in the programme."""

    __tablename__ = "site"

    id: int | None = Field(default=None, primary_key=True)
    # The site's stable identifier across renames and installations (exports carry it).
    uid: str = Field(default_factory=lambda: str(uuid.uuid4()),
                     sa_column=Column(String(36), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    organisation: str = Field(default="", sa_column=Column(String(200), nullable=False))
    kind: str = Field(
        sa_column=Column(String(40), ForeignKey("site_kind.code"), nullable=False)
    )
    region: str = Field(default="", sa_column=Column(String(100), nullable=False))
    joined_on: date | None = None
    learning_set_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("learning_set.id"), nullable=True, index=True),
    )
    consultancy_days_allocated: int = 0
    # consultancy_days_used: the sum of the site's consultancy entries (models/consultancy.py)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SiteLearningSet(SQLModel, table=True):
    """A period of a site's membership of a learning set (the history of moves)."""

    __tablename__ = "site_learning_set"
    __table_args__ = (UniqueConstraint("site_id", "learning_set_id", "joined_on"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(sa_column=Column(Integer, ForeignKey("site.id"), nullable=False, index=True))
    learning_set_id: int = Field(
        sa_column=Column(Integer, ForeignKey("learning_set.id"), nullable=False)
    )
    joined_on: date
    left_on: date | None = None


# --- input and output shapes ------------------------------------------------------------

class SiteCreate(InputModel):
    name: str = PField(min_length=1, max_length=200)
    organisation: str = PField(default="", max_length=200)
    kind: str = PField(min_length=1, max_length=40)
    learning_set_id: Id | None = None
    region: str = PField(default="", max_length=100)
    joined_on: Day | None = None
    consultancy_days_allocated: Whole | None = PField(default=None, ge=0, le=1000)
    consultancy_days_used: WorkedOut | None = PField(
        default=None, description="Read-only: worked out from the consultancy entries")


class SiteUpdate(InputModel):
    name: str | None = PField(default=None, min_length=1, max_length=200)
    organisation: str | None = PField(default=None, max_length=200)
    kind: str | None = PField(default=None, min_length=1, max_length=40)
    learning_set_id: Id | None = None
    region: str | None = PField(default=None, max_length=100)
    joined_on: Day | None = None
    consultancy_days_allocated: Whole | None = PField(default=None, ge=0, le=1000)
    consultancy_days_used: WorkedOut | None = PField(
        default=None, description="Read-only: worked out from the consultancy entries")
    archived: bool | None = None
    version: Version | None = None


class SitePublic(BaseModel):
    id: int
    uid: str
    name: str
    organisation: str
    kind: str
    learning_set_id: int | None
    region: str
    joined_on: date | None
    consultancy_days_allocated: int
    consultancy_days_used: Days = PField(description="The sum of the consultancy entries")
    archived: bool
    version: int


class LearningSetCreate(InputModel):
    name: str = PField(min_length=1, max_length=200)
    region: str = PField(default="", max_length=100)
    facilitator_ids: list[Id] = PField(default_factory=list, max_length=50)


class LearningSetUpdate(InputModel):
    name: str | None = PField(default=None, min_length=1, max_length=200)
    region: str | None = PField(default=None, max_length=100)
    facilitator_ids: list[Id] | None = PField(default=None, max_length=50)
    archived: bool | None = None
    version: Version | None = None


class MeetingCreate(InputModel):
    held_on: Day
    title: str = PField(min_length=1, max_length=200)


class MeetingPublic(BaseModel):
    id: int
    learning_set_id: int
    held_on: date
    title: str


class LearningSetPublic(BaseModel):
    id: int
    name: str
    region: str
    facilitator_ids: list[int]
    archived: bool
    version: int
    meetings: list[MeetingPublic] = []
