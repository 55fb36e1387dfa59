"""A site's Plan-Do-Study-Act cycles, their PDSA record and the feedback they receive."""

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.validation import Day, Id, InputModel, Version


class Stage(StrEnum):
    assess = "assess"
    plan = "plan"
    do = "do"
    study = "study"
    act = "act"
    closed = "closed"


STAGE_ORDER = [Stage.assess, Stage.plan, Stage.do, Stage.study, Stage.act, Stage.closed]
STAGE_LABELS = {
    Stage.assess: "Assess", Stage.plan: "Plan", Stage.do: "Do", Stage.study: "Study",
    Stage.act: "Act", Stage.closed: "Closed",
}
PDSA_FIELDS = ("aim", "prediction", "measures", "plan_notes", "do_notes", "study_notes",
               "act_notes")


class Cycle(SQLModel, table=True):
    """One turn of a site's PDSA loop, numbered 1, 2, 3... per site."""

    __tablename__ = "cycle"
    __table_args__ = (
        UniqueConstraint("site_id", "number"),
        # At most one open cycle per site, even when two leads press the button together.
        Index("uq_cycle_one_open_per_site", "site_id", unique=True,
              sqlite_where=text("stage != 'closed'"), postgresql_where=text("stage != 'closed'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(sa_column=Column(Integer, ForeignKey("site.id"), nullable=False))
    number: int
    framework_id: int = Field(sa_column=Column(Integer, ForeignKey("framework.id"), nullable=False))
    stage: str = Field(default=Stage.assess.value, sa_column=Column(String(10), nullable=False))
    started_on: date
    review_due_on: date | None = None
    meeting_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("meeting.id"), nullable=True))
    # The learning set the site was in when the cycle ran: the cycle stays with that set when
    # the site moves on (services/set_history.py).
    learning_set_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("learning_set.id"), nullable=True, index=True))
    aim: str = Field(default="", sa_column=Column(Text, nullable=False))
    prediction: str = Field(default="", sa_column=Column(Text, nullable=False))
    measures: str = Field(default="", sa_column=Column(Text, nullable=False))
    plan_notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    do_notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    study_notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    act_notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    signed_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_off_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the lead opened the consensus meeting: from then on every member sees everyone's
    # ratings (before, only those who have rated all ten do, so nobody anchors on others').
    meeting_opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the cycle last moved to a stage (a cycle that stays put for weeks has stalled).
    stage_changed_at: datetime | None = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Feedback(SQLModel, table=True):
    """A comment on a cycle from a facilitator or the programme team."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(sa_column=Column(Integer, ForeignKey("cycle.id"), nullable=False,
                                           index=True))
    author_id: int = Field(sa_column=Column(Integer, ForeignKey("user_account.id"),
                                            nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- input and output shapes ------------------------------------------------------------

TEXT = 5000


class CycleCreate(InputModel):
    started_on: Day | None = None
    review_due_on: Day | None = None
    meeting_id: Id | None = None


class CycleUpdate(InputModel):
    aim: str | None = PField(default=None, max_length=TEXT)
    prediction: str | None = PField(default=None, max_length=TEXT)
    measures: str | None = PField(default=None, max_length=TEXT)
    plan_notes: str | None = PField(default=None, max_length=TEXT)
    do_notes: str | None = PField(default=None, max_length=TEXT)
    study_notes: str | None = PField(default=None, max_length=TEXT)
    act_notes: str | None = PField(default=None, max_length=TEXT)
    review_due_on: Day | None = None
    # A meeting of the cycle's learning set; null unlinks (leads, the set's facilitators and
    # the programme team).
    meeting_id: Id | None = None
    version: Version | None = None


class CyclePublic(BaseModel):
    id: int
    site_id: int
    number: int
    stage: Stage
    started_on: date
    review_due_on: date | None
    meeting_id: int | None
    learning_set_id: int | None
    framework_id: int
    aim: str
    prediction: str
    measures: str
    plan_notes: str
    do_notes: str
    study_notes: str
    act_notes: str
    signed_off: bool
    version: int


class FeedbackCreate(InputModel):
    body: str = PField(min_length=1, max_length=TEXT)


class FeedbackPublic(BaseModel):
    id: int
    cycle_id: int
    author_id: int
    body: str
    created_at: datetime
