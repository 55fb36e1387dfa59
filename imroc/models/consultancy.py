"""Consultancy: the dated days of support the project team and peer trainers give a site.

A site's `consultancy_days_used` is the sum of its entries, worked out by the database with
every site that is read (a correlated subquery), so it is never stored twice.
"""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import column_property
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import DayCount, Days, UTCDateTime
from imroc.models.site import Site
from imroc.validation import Day, HalfDays, Id, InputModel

# The purpose recorded for days counted before consultancy had dated entries.
CARRIED_PURPOSE = "Days recorded before dated entries"


class ConsultancyEntry(SQLModel, table=True):
    """Days of consultancy given to a site on a date, for a purpose, by someone."""

    __tablename__ = "consultancy_entry"
    __table_args__ = (CheckConstraint("days > 0", name="days_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(sa_column=Column(Integer, ForeignKey("site.id"), nullable=False,
                                          index=True))
    delivered_on: date
    days: Decimal = Field(sa_column=Column(DayCount, nullable=False))
    purpose: str = Field(sa_column=Column(String(500), nullable=False))
    # A member of the project team (an account), or a peer trainer named here (no account).
    delivered_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=True))
    delivered_by_name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    recorded_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=True))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# The site's days used: read with the site, in the same statement, whatever the query.
DAYS_USED = func.coalesce(func.sum(ConsultancyEntry.days), 0)
Site.consultancy_days_used = column_property(
    select(DAYS_USED).where(ConsultancyEntry.site_id == Site.id)
    .correlate_except(ConsultancyEntry).scalar_subquery())


# --- input and output shapes ------------------------------------------------------------

class ConsultancyEntryIn(InputModel):
    delivered_on: Day
    days: HalfDays = PField(description="Whole or half days, more than 0 and at most 20")
    purpose: str = PField(min_length=1, max_length=500)
    delivered_by_id: Id | None = PField(
        default=None, description="A person of the project team (programme_team role)")
    delivered_by_name: str = PField(
        default="", max_length=200, description="A peer trainer's name, when not a person here")


class ConsultancyEntryPublic(BaseModel):
    id: int
    site_id: int
    delivered_on: date
    days: Days
    purpose: str
    delivered_by_id: int | None
    delivered_by: str = PField(description="The name of who delivered it")
    peer_trainer: bool
    recorded_by: int | None
    created_at: datetime
    version: int


class ConsultancyPublic(BaseModel):
    site_id: int
    allocated: int
    used: Days
    remaining: Days
    over_allocation: bool
    entries: list[ConsultancyEntryPublic]
