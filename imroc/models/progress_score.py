"""Progress scores: the site's and its facilitator's view of how far a cycle's work has got,
on the collaborative progress scale (0.5 to 5.0 in half steps), beside the ImROC levels."""

import math
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator
from pydantic import Field as PField
from pydantic_core import PydanticCustomError
from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.validation import InputModel, Version

COMMENT = 2000


class Giver(StrEnum):
    """Who gives a progress score: the site (its lead, for the steering group) or the
    facilitator of the learning set the cycle ran in."""

    site = "site"
    facilitator = "facilitator"


# Each step of the scale in our own words: what a site at that score has to show.
PROGRESS_LEVELS: dict[float, tuple[str, str]] = {
    0.5: ("Signed up", "The site has said it will take part; no team or work yet."),
    1.0: ("Team coming together", "People are being found for the improvement team."),
    1.5: ("Planning started", "The team meets and has begun to plan what it will work on."),
    2.0: ("Work under way", "Things are being done, but nothing has changed yet."),
    2.5: ("Changes tried", "Changes have been tested, with no improvement seen so far."),
    3.0: ("Some improvement", "A small improvement shows in the measures."),
    3.5: ("Clear improvement", "The measures show a clear improvement."),
    4.0: ("Large improvement", "The measures show a large improvement, close to the aim."),
    4.5: ("Improvement that lasts", "The improvement has held and is built into everyday "
                                    "work."),
    5.0: ("Outstanding and lasting", "The aim is met or beaten and the results have held "
                                     "over time."),
}
LOWEST, HIGHEST = min(PROGRESS_LEVELS), max(PROGRESS_LEVELS)
STEPS_MESSAGE = "must be a score from 0.5 to 5.0 in steps of 0.5"


def is_progress_score(value: Any) -> bool:
    """Whether a number is a step of the scale: 0.5 to 5.0 in halves."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        return False
    return float(value) in PROGRESS_LEVELS


def score_text(value: float | None) -> str:
    """A score as people write it: 3.5, 4.0; empty when none was given."""
    return "" if value is None else f"{value:.1f}"


def level_name(value: float | None) -> str:
    return PROGRESS_LEVELS[value][0] if value in PROGRESS_LEVELS else ""


def _not_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("progress_score", STEPS_MESSAGE)
    return value


def _half_step(value: float) -> float:
    if not is_progress_score(value):
        raise PydanticCustomError("progress_score", STEPS_MESSAGE)
    return float(value)


Score = Annotated[float, BeforeValidator(_not_boolean), AfterValidator(_half_step)]


class ProgressScore(SQLModel, table=True):
    """One giver's progress score for one cycle (one row per cycle and giver)."""

    __tablename__ = "progress_score"
    __table_args__ = (
        UniqueConstraint("cycle_id", "giver"),
        CheckConstraint("score >= 0.5 AND score <= 5.0", name="score_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(sa_column=Column(Integer, ForeignKey("cycle.id"), nullable=False,
                                           index=True))
    giver: str = Field(sa_column=Column(String(20), nullable=False))
    # Halves are exact in binary floating point, so 3.5 is stored and read back as 3.5.
    score: float = Field(sa_column=Column(Float, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    given_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=True))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- input and output shapes ------------------------------------------------------------

class ProgressScoreIn(InputModel):
    score: Score
    comment: str = PField(default="", max_length=COMMENT)
    # The version you read; leave it out only when there is no score yet (409 if there is).
    version: Version | None = None


class ProgressScoreOut(BaseModel):
    cycle_id: int
    giver: Giver
    score: float | None
    level: str
    comment: str
    given_by: int | None
    updated_at: datetime | None
    version: int | None


class ProgressLevelOut(BaseModel):
    score: float
    name: str
    words: str
