"""Measures a site tracks over time, and their values period by period.

A core measure (no site) is defined by the programme team and reported by every site; a
local measure belongs to one site. Each value belongs to one site, measure and period.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel
from pydantic import Field as PField
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.models.framework import CHALLENGE_COUNT
from imroc.validation import Day, Id, InputModel, Version, Whole

# Values are kept well inside what a float holds exactly enough to chart and sum safely.
MAX_VALUE = 1e12
# Periods before this are refused: no series (or values grid) reaches back further.
EARLIEST = date(2000, 1, 1)


class MeasureKind(StrEnum):
    count = "count"
    ratio = "ratio"
    average = "average"


class Direction(StrEnum):
    up = "up"
    down = "down"
    neutral = "neutral"


class Frequency(StrEnum):
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"  # annual surveys, such as the CQC community mental health survey


class Band(StrEnum):
    """Where a national survey placed the site's organisation against what was expected."""

    better = "better"
    about_same = "about_same"
    worse = "worse"


class ChartType(StrEnum):
    xmr = "xmr"
    run = "run"


KIND_LABELS = {"count": "Count", "ratio": "Ratio (numerator ÷ denominator)",
               "average": "Average"}
DIRECTION_LABELS = {"up": "Higher is better", "down": "Lower is better",
                    "neutral": "Neither higher nor lower is better"}
FREQUENCY_LABELS = {"weekly": "Weekly", "monthly": "Monthly", "quarterly": "Quarterly",
                    "yearly": "Yearly (an annual survey)"}
BAND_LABELS = {"better": "Better than expected", "about_same": "About the same as expected",
               "worse": "Worse than expected"}
CHART_LABELS = {"xmr": "SPC chart (XmR) with process limits",
                "run": "Run chart (median), for measures with few values"}


class Measure(SQLModel, table=True):
    """What is counted, how, and which way is better. Versioned: stale edits get 409."""

    __tablename__ = "measure"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("site.id"), nullable=True, index=True))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    definition: str = Field(default="", sa_column=Column(Text, nullable=False))
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    unit: str = Field(default="", sa_column=Column(String(30), nullable=False))
    numerator_label: str = Field(default="", sa_column=Column(String(120), nullable=False))
    denominator_label: str = Field(default="", sa_column=Column(String(120), nullable=False))
    scale: int = 1  # a ratio is numerator / denominator × scale (100 gives a percentage)
    direction: str = Field(sa_column=Column(String(10), nullable=False))
    target: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    frequency: str = Field(default=Frequency.monthly.value,
                           sa_column=Column(String(10), nullable=False))
    chart: str = Field(default=ChartType.xmr.value, sa_column=Column(String(5), nullable=False))
    baseline_points: int | None = None  # limits fixed from the first N values of each segment
    starts_on: date
    archived: bool = Field(default=False, sa_column=Column(Boolean, nullable=False,
                                                           default=False))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeasureChallenge(SQLModel, table=True):
    """A measure is evidence for one or more of the ten challenges."""

    __tablename__ = "measure_challenge"

    measure_id: int = Field(sa_column=Column(Integer, ForeignKey("measure.id"),
                                             primary_key=True))
    challenge: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))


class DataPoint(SQLModel, table=True):
    """One site's value of a measure for one period, with an optional note."""

    __tablename__ = "data_point"
    __table_args__ = (UniqueConstraint("measure_id", "site_id", "period_start"),
                      Index("ix_data_point_site_measure", "site_id", "measure_id"))

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(sa_column=Column(Integer, ForeignKey("measure.id"), nullable=False))
    site_id: int = Field(sa_column=Column(Integer, ForeignKey("site.id"), nullable=False))
    period_start: date
    value: float = Field(sa_column=Column(Float, nullable=False))
    numerator: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    denominator: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    annotation: str = Field(default="", sa_column=Column(Text, nullable=False))
    rebase: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False))
    # For survey measures: where the survey placed the site's organisation (a Band), if known.
    band: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    version: int = 1
    updated_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReferencePoint(SQLModel, table=True):
    """The national value of a measure for one period (a survey year), with its published
    range where there is one: what each site's values are read against."""

    __tablename__ = "reference_point"
    __table_args__ = (UniqueConstraint("measure_id", "period_start"),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(sa_column=Column(Integer, ForeignKey("measure.id"), nullable=False,
                                             index=True))
    period_start: date
    value: float = Field(sa_column=Column(Float, nullable=False))
    lower: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    upper: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    updated_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- input and output shapes ------------------------------------------------------------

def _no_duplicates(values: list[int]) -> list[int]:
    if len(set(values)) != len(values):
        raise ValueError("each challenge can be chosen once")
    return sorted(values)


Number = Annotated[float, PField(allow_inf_nan=False, ge=-MAX_VALUE, le=MAX_VALUE)]
Challenges = Annotated[list[Annotated[Whole, PField(ge=1, le=CHALLENGE_COUNT)]],
                       PField(max_length=10), AfterValidator(_no_duplicates)]


ASK_MEASURE = {"kind": "Select the kind of measure", "direction": "Select which way is better",
               "frequency": "Select how often it is reported", "chart": "Select a chart",
               "starts_on": "Enter the first period", "scale": "Select how to show the ratio"}


class MeasureIn(InputModel):
    """A new measure; `site_id` empty makes a core measure (programme team only)."""

    ASK: ClassVar[dict[str, str]] = ASK_MEASURE

    site_id: Id | None = None
    name: str = PField(min_length=1, max_length=120)
    definition: str = PField(default="", max_length=5000)
    kind: MeasureKind
    unit: str = PField(default="", max_length=30)
    numerator_label: str = PField(default="", max_length=120)
    denominator_label: str = PField(default="", max_length=120)
    scale: Whole = PField(default=1, ge=1, le=1_000_000)
    direction: Direction
    target: Number | None = None
    frequency: Frequency = Frequency.monthly
    chart: ChartType = ChartType.xmr
    baseline_points: Whole | None = PField(default=None, ge=2, le=500)
    starts_on: Day
    challenges: Challenges = PField(default_factory=list)


class MeasureUpdate(InputModel):
    ASK: ClassVar[dict[str, str]] = ASK_MEASURE

    name: str | None = PField(default=None, min_length=1, max_length=120)
    definition: str | None = PField(default=None, max_length=5000)
    unit: str | None = PField(default=None, max_length=30)
    numerator_label: str | None = PField(default=None, max_length=120)
    denominator_label: str | None = PField(default=None, max_length=120)
    scale: Whole | None = PField(default=None, ge=1, le=1_000_000)
    direction: Direction | None = None
    target: Number | None = None
    chart: ChartType | None = None
    baseline_points: Whole | None = PField(default=None, ge=2, le=500)
    archived: bool | None = None
    challenges: Challenges | None = None
    version: Version


class MeasurePublic(BaseModel):
    id: int
    site_id: int | None
    core: bool
    name: str
    definition: str
    kind: MeasureKind
    unit: str
    numerator_label: str
    denominator_label: str
    scale: int
    direction: Direction
    target: float | None
    frequency: Frequency
    chart: ChartType
    baseline_points: int | None
    starts_on: date
    archived: bool
    challenges: list[int]
    version: int


class PointIn(InputModel):
    """One period's value: `value` for counts and averages, numerator and denominator for
    ratios. `version` is required when changing a value that is already saved."""

    period: Day
    value: Number | None = None
    numerator: Number | None = None
    denominator: Number | None = None
    annotation: str = PField(default="", max_length=1000)
    rebase: bool = False
    band: Band | None = None
    version: Version | None = None


class PointsIn(InputModel):
    points: list[PointIn] = PField(min_length=1, max_length=1000)


class PointPublic(BaseModel):
    period: date
    value: float
    numerator: float | None
    denominator: float | None
    annotation: str
    rebase: bool
    band: Band | None = None
    version: int


class ReferenceIn(InputModel):
    """One national value: `period` (the first day of the survey year), `value`, and the
    published range (`lower`, `upper`) where there is one."""

    period: Day
    value: Number
    lower: Number | None = None
    upper: Number | None = None


class ReferenceSeriesIn(InputModel):
    points: list[ReferenceIn] = PField(max_length=500)


class ReferencePublic(BaseModel):
    period: date
    value: float
    lower: float | None
    upper: float | None
