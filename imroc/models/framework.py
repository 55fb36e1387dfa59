"""The versioned framework: the ten challenges, their level descriptors and the scale."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime

CHALLENGE_COUNT = 10
CHALLENGE_NUMBERS = range(1, CHALLENGE_COUNT + 1)  # ImROC's ten organisational challenges


class Framework(SQLModel, table=True):
    """One version of the framework; never edited in place once loaded."""

    __tablename__ = "framework"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(40), nullable=False))
    version: str = Field(sa_column=Column(String(40), nullable=False))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScaleLevel(SQLModel, table=True):
    """One level of the framework's rating scale."""

    __tablename__ = "scale_level"
    __table_args__ = (UniqueConstraint("framework_id", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(
        sa_column=Column(Integer, ForeignKey("framework.id"), nullable=False)
    )
    level: int
    name: str = Field(sa_column=Column(String(100), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))


class Challenge(SQLModel, table=True):
    """One of the ten organisational challenges in a framework version."""

    __tablename__ = "challenge"
    __table_args__ = (UniqueConstraint("framework_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(
        sa_column=Column(Integer, ForeignKey("framework.id"), nullable=False)
    )
    number: int
    title: str = Field(sa_column=Column(String(300), nullable=False))
    short_title: str = Field(sa_column=Column(String(100), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))


class ChallengeDescriptor(SQLModel, table=True):
    """What a challenge looks like at one level of the scale."""

    __tablename__ = "challenge_descriptor"
    __table_args__ = (UniqueConstraint("challenge_id", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(
        sa_column=Column(Integer, ForeignKey("challenge.id"), nullable=False)
    )
    level: int
    text: str = Field(sa_column=Column(Text, nullable=False))
