"""Scores: each person's rating, the agreed consensus, and the facilitator's own view."""

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.models.framework import CHALLENGE_COUNT
from imroc.validation import InputModel, Whole

COMMENT = 2000


class Rating(SQLModel, table=True):
    """One person's level for one challenge in one cycle (their perspective recorded with it).

    "Don't know" is an answer without a level: the person has answered the challenge, but
    no mean, spread or count of levels includes it."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("cycle_id", "rater_id", "challenge"),
        CheckConstraint("(dont_know AND level IS NULL) OR (NOT dont_know AND level IS NOT NULL)",
                        name="level_or_dont_know"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(sa_column=Column(Integer, ForeignKey("cycle.id"), nullable=False,
                                           index=True))
    rater_id: int = Field(sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=False))
    perspective: str = Field(sa_column=Column(String(20), nullable=False))
    challenge: int
    level: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    dont_know: bool = Field(default=False, sa_column=Column(
        Boolean, nullable=False, default=False, server_default=false()))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConsensusScore(SQLModel, table=True):
    """The level the steering group agreed for a challenge, with its rationale."""

    __tablename__ = "consensus_score"
    __table_args__ = (UniqueConstraint("cycle_id", "challenge"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(sa_column=Column(Integer, ForeignKey("cycle.id"), nullable=False,
                                           index=True))
    challenge: int
    level: int
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Offered from the previous cycle: stays True until someone confirms or changes it.
    to_reconfirm: bool = False
    updated_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FacilitatorRating(SQLModel, table=True):
    """A facilitator's own view of a challenge, shown beside the site's consensus."""

    __tablename__ = "facilitator_rating"
    __table_args__ = (UniqueConstraint("cycle_id", "rater_id", "challenge"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(sa_column=Column(Integer, ForeignKey("cycle.id"), nullable=False,
                                           index=True))
    rater_id: int = Field(sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=False))
    challenge: int
    level: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- input and output shapes ------------------------------------------------------------

class RatingIn(InputModel):
    challenge: Whole = PField(ge=1, le=CHALLENGE_COUNT)
    # Required, but may be null with "dont_know": true (checked with the scale, in the service).
    level: Whole | None = PField(default=None, ge=0, le=20)
    dont_know: bool = PField(default=False, description="The person does not know: an answer "
                             "without a level (level must then be null)")
    comment: str = PField(default="", max_length=COMMENT)


class RatingsIn(InputModel):
    ratings: list[RatingIn] = PField(max_length=10)


class RatingOut(BaseModel):
    challenge: int
    level: int | None
    dont_know: bool = False
    comment: str
    rater_id: int
    perspective: str
    updated_at: datetime


class ScoreIn(InputModel):
    challenge: Whole = PField(ge=1, le=CHALLENGE_COUNT)
    level: Whole = PField(ge=0, le=20)
    rationale: str = PField(default="", max_length=COMMENT)


class ScoresIn(InputModel):
    scores: list[ScoreIn] = PField(max_length=10)


class ScoreOut(BaseModel):
    challenge: int
    level: int
    rationale: str
    to_reconfirm: bool


class UnheardOut(BaseModel):
    challenge: int
    perspectives: list[str]


class ConsensusOut(BaseModel):
    cycle_id: int
    signed_off: bool
    scores: list[ScoreOut]
    # Challenges that lack a perspective the site has among its members ("don't know" counts
    # as an answer), each with the perspectives not heard.
    unheard: list[UnheardOut] = []


class ReopenIn(InputModel):
    reason: str = PField(min_length=1, max_length=COMMENT)
