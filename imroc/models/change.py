"""Changes that worked: an action adopted or adapted in a closed cycle, shared by the site's
lead with its learning set or the whole programme, for other sites to try."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.models.framework import CHALLENGE_COUNT
from imroc.validation import Id, InputModel, Version, Whole


class ChangeScope(StrEnum):
    learning_set = "learning_set"
    programme = "programme"


SCOPE_LABELS = {"learning_set": "Your learning set", "programme": "The whole programme"}
SHAREABLE = ("adopt", "adapt")


class SharedChange(SQLModel, table=True):
    """An action shared from a closed cycle. What was done, the prediction, the result and
    the measures are copied when it is shared, so the library says what was shared."""

    __tablename__ = "shared_change"
    __table_args__ = (Index("ix_shared_change_shared_at", "shared_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # The change's own identifier across installations: exchange documents name the change
    # by it, so a change shared without its site's name does not name the site there either.
    uid: str = Field(default_factory=lambda: str(uuid.uuid4()),
                     sa_column=Column(String(36), nullable=False, unique=True))
    # An action is shared once; sharing it again changes who sees it and how it is named.
    action_id: int = Field(sa_column=Column(Integer, ForeignKey("action.id"), nullable=False,
                                            unique=True))
    cycle_id: int = Field(sa_column=Column(Integer, ForeignKey("cycle.id"), nullable=False))
    site_id: int = Field(sa_column=Column(Integer, ForeignKey("site.id"), nullable=False,
                                          index=True))
    # The learning set the cycle ran in (services/set_history.py), which a learning-set
    # change is shared with even after the site moves on.
    learning_set_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("learning_set.id"), nullable=True, index=True))
    challenge: int
    outcome: str = Field(sa_column=Column(String(10), nullable=False))
    scope: str = Field(sa_column=Column(String(20), nullable=False))
    anonymised: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    what_was_done: str = Field(default="", sa_column=Column(Text, nullable=False))
    prediction: str = Field(default="", sa_column=Column(Text, nullable=False))
    result: str = Field(default="", sa_column=Column(Text, nullable=False))
    # The site's measures linked to the challenge when it was shared: name and the plain
    # English reading of its chart then.
    measures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(
        JSON, nullable=False))
    shared_by: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("user_account.id"), nullable=True))
    shared_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- input and output shapes ------------------------------------------------------------

class ShareIn(InputModel):
    ASK: ClassVar[dict[str, str]] = {"scope": "Select who to share the change with"}

    scope: ChangeScope
    anonymised: bool = False
    # The version read, when the change is already shared (a stale one gets 409).
    version: Version | None = None


class WithdrawIn(InputModel):
    version: Version


class AdoptIn(InputModel):
    ASK: ClassVar[dict[str, str]] = {"cycle_id": "Select the cycle to try the change in"}

    cycle_id: Id


class ChangeFilter(InputModel):
    """Searching the library: by challenge, kind of site, outcome and words."""

    challenge: Whole | None = PField(default=None, ge=1, le=CHALLENGE_COUNT)
    kind: list[str] = PField(default_factory=list, max_length=20,
                             description="Kinds of the sharing site (pilot, demonstration...)")
    outcome: list[Literal["adopt", "adapt"]] = PField(default_factory=list, max_length=2)
    q: str | None = PField(default=None, max_length=200,
                           description="Words in the title, what was done or the result")


class MeasureMoved(BaseModel):
    name: str
    summary: str


class ChangeSite(BaseModel):
    id: int
    name: str
    kind: str


class Spread(BaseModel):
    """One site that tried the change: named only for those who may see it."""

    site: ChangeSite | None
    label: str
    cycle_id: int | None
    tried_on: date


class ChangePublic(BaseModel):
    id: int
    challenge: int
    outcome: Literal["adopt", "adapt"]
    scope: ChangeScope
    learning_set_id: int | None
    # Null when the sharing site asked not to be named (except for its own people).
    site: ChangeSite | None
    label: str
    title: str
    what_was_done: str
    prediction: str
    result: str
    measures: list[MeasureMoved]
    adopted_count: int = PField(description="How many sites have tried it")
    shared_at: datetime
    spread: list[Spread] | None = None
    version: int | None = PField(default=None,
                                 description="For the sharing site's lead: the version to send")
