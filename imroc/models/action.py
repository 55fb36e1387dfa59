"""Priorities chosen for a cycle and the actions of its plan."""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.models.framework import CHALLENGE_COUNT
from imroc.validation import Day, Id, InputModel, Version, Whole


class ActionStatus(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    done = "done"
    blocked = "blocked"
    dropped = "dropped"


class Outcome(StrEnum):
    adopt = "adopt"
    adapt = "adapt"
    abandon = "abandon"


UNFINISHED = {ActionStatus.not_started, ActionStatus.in_progress, ActionStatus.blocked}
STATUS_LABELS = {"not_started": "Not started", "in_progress": "In progress", "done": "Done",
                 "blocked": "Blocked", "dropped": "Dropped"}
OUTCOME_LABELS = {"adopt": "Adopt", "adapt": "Adapt", "abandon": "Abandon"}


class Priority(SQLModel, table=True):
    """A challenge chosen for action this cycle, ranked, with its current and target level."""

    __tablename__ = "priority"
    __table_args__ = (UniqueConstraint("cycle_id", "challenge"),
                      UniqueConstraint("cycle_id", "rank"))

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(sa_column=Column(Integer, ForeignKey("cycle.id"), nullable=False,
                                           index=True))
    challenge: int
    rank: int
    current_level: int
    target_level: int
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))


class Action(SQLModel, table=True):
    """One item of a cycle's action plan. Versioned: stale edits are refused, not lost."""

    __tablename__ = "action"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(sa_column=Column(Integer, ForeignKey("cycle.id"), nullable=False,
                                           index=True))
    challenge: int
    title: str = Field(sa_column=Column(String(200), nullable=False))
    owner: str = Field(default="", sa_column=Column(String(200), nullable=False))
    # The owner when they are a member of the site (to-dos and reminders reach them); `owner`
    # then holds their name, else the name of someone outside the product.
    owner_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("user_account.id", ondelete="SET NULL"), index=True))
    due_on: date | None = None
    status: str = Field(default=ActionStatus.not_started.value,
                        sa_column=Column(String(20), nullable=False))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    outcome: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    # The day (in England) the outcome was decided: where a measure's chart marks the change,
    # however often the action is edited afterwards.
    outcome_on: date | None = None
    carried_from_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("action.id"), nullable=True))
    # The shared change this action tries here ("try this here" in the library). The key is
    # added after both tables exist, because a shared change names its action in turn.
    origin_change_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("shared_change.id", use_alter=True, ondelete="SET NULL"),
        nullable=True, index=True))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- input and output shapes ------------------------------------------------------------

class PriorityIn(InputModel):
    challenge: Whole = PField(ge=1, le=CHALLENGE_COUNT)
    rank: Whole = PField(ge=1, le=10)
    target_level: Whole = PField(ge=0, le=20)
    reason: str = PField(default="", max_length=2000)


class PrioritiesIn(InputModel):
    priorities: list[PriorityIn] = PField(max_length=10)


class PriorityOut(BaseModel):
    challenge: int
    rank: int
    current_level: int
    target_level: int
    reason: str
    # The level agreed at the site's next signed-off assessment against the target
    # (services/objectives.py): reached, partly, not_yet or no_rescore.
    attainment: Literal["reached", "partly", "not_yet", "no_rescore"] = "no_rescore"
    rescored_level: int | None = None


class ActionCreate(InputModel):
    challenge: Whole = PField(ge=1, le=CHALLENGE_COUNT)
    title: str = PField(min_length=1, max_length=200)
    owner: str = PField(default="", max_length=200)
    owner_id: Id | None = None
    due_on: Day | None = None
    status: ActionStatus = ActionStatus.not_started
    notes: str = PField(default="", max_length=5000)


class ActionUpdate(InputModel):
    challenge: Whole | None = PField(default=None, ge=1, le=CHALLENGE_COUNT)
    title: str | None = PField(default=None, min_length=1, max_length=200)
    owner: str | None = PField(default=None, max_length=200)
    owner_id: Id | None = None
    due_on: Day | None = None
    status: ActionStatus | None = None
    notes: str | None = PField(default=None, max_length=5000)
    outcome: Outcome | None = None
    version: Version


class ActionPublic(BaseModel):
    id: int
    cycle_id: int
    challenge: int
    title: str
    owner: str
    owner_id: int | None
    due_on: date | None
    status: ActionStatus
    notes: str
    outcome: Outcome | None
    carried_from_id: int | None
    origin_change_id: int | None = None
    version: int
    overdue: bool
