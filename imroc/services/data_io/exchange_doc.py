"""The open JSON exchange document for one site, format version 2.

schemas/imroc-exchange-2.schema.json is generated from these classes (`schema()`; the
changes' classes are in exchange_doc_changes.py, the building blocks in exchange_types.py),
and a test keeps the two the same. Version 2 added the site's identifier (`site.uid`), the
site's measures with their values, its dated consultancy entries and the cycles' progress
scores, and later its changes that worked (`shared_changes`, `tried_changes`: a document
without them has none); a version 1 document (schemas/imroc-exchange-1.schema.json) is
still read, as a version 2 document without them. People are named by email: `people`
lists everyone the document mentions, with their role and perspective at the site when
they are a member of its steering group (null otherwise: facilitators, authors of
feedback, former members, who shared a change).
"""

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from imroc.models.action import ActionStatus, Outcome
from imroc.models.cycle import Stage
from imroc.models.measure import MAX_VALUE, Band, ChartType, Direction, Frequency, MeasureKind
from imroc.models.progress_score import Giver
from imroc.models.user import Perspective, SiteRole
from imroc.services.data_io.exchange_doc_changes import SharedChangeDoc, TriedChangeDoc
from imroc.services.data_io.exchange_types import (
    MANY,
    Comment,
    Email,
    Level,
    Number,
    Strict,
    Text,
)
from imroc.validation import Day

FORMAT = "imroc-exchange"
FORMAT_VERSION = 2
READS = (1, 2)  # the versions an import accepts
SCHEMA_ID = "https://imroc.example/schemas/imroc-exchange-2.schema.json"


class FrameworkRef(Strict):
    id: str = Field(max_length=40, description="The framework's key, e.g. imroc")
    version: str = Field(max_length=40)


class LearningSetDoc(Strict):
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(default="", max_length=100)
    facilitators: list[Email] = Field(default_factory=list, max_length=50)


class SiteDoc(Strict):
    uid: UUID | None = Field(default=None, description="The site's stable identifier: an "
                             "import adds to the site that has it, whatever its name")
    name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(default="", max_length=200)
    kind: str = Field(min_length=1, max_length=40)
    region: str = Field(default="", max_length=100)
    joined_on: Day | None = None
    consultancy_days_allocated: int = Field(ge=0, le=1000)
    consultancy_days_used: float = Field(ge=0, le=10_000, multiple_of=0.5, description=(
        "The sum of the consultancy entries; a version 1 document's count becomes one entry"))
    learning_set: LearningSetDoc | None = None


class PersonDoc(Strict):
    email: Email
    name: str = Field(min_length=1, max_length=200)
    role: SiteRole | None = None
    perspective: Perspective | None = None


class RatingDoc(Strict):
    rater: Email
    perspective: Perspective
    challenge: Number
    # null with "dont_know": true (an answer without a level); present only when true
    level: Level | None
    dont_know: bool = False
    comment: Comment = ""


class ScoreDoc(Strict):
    challenge: Number
    level: Level
    rationale: Comment = ""
    to_reconfirm: bool = False


class FacilitatorRatingDoc(Strict):
    rater: Email
    challenge: Number
    level: Level
    comment: Comment = ""


class PriorityDoc(Strict):
    rank: Number
    challenge: Number
    current_level: Level
    target_level: Level
    reason: Comment = ""


class CarriedFrom(Strict):
    cycle: int = Field(ge=1, le=10_000)
    number: int = Field(ge=1, le=100_000)


class ActionDoc(Strict):
    number: int = Field(ge=1, le=100_000, description="Place in the cycle's plan, from 1")
    challenge: Number
    title: str = Field(min_length=1, max_length=200)
    owner: str = Field(default="", max_length=200)
    due_on: Day | None = None
    status: ActionStatus
    outcome: Outcome | None = None
    notes: Text = ""
    carried_from: CarriedFrom | None = None


class FeedbackDoc(Strict):
    author: Email
    body: str = Field(min_length=1, max_length=5000)
    created_at: AwareDatetime


class MeetingDoc(Strict):
    held_on: Day
    title: str = Field(min_length=1, max_length=200)


class PdsaDoc(Strict):
    aim: Text = ""
    prediction: Text = ""
    measures: Text = ""
    plan_notes: Text = ""
    do_notes: Text = ""
    study_notes: Text = ""
    act_notes: Text = ""


Value = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_VALUE, le=MAX_VALUE)]


class ValueDoc(Strict):
    period: date = Field(description="The first day of the period")
    value: Value
    numerator: Value | None = None
    denominator: Value | None = None
    annotation: str = Field(default="", max_length=1000)
    rebase: bool = Field(default=False, description="A recalculation point: the chart's "
                         "limits are worked out again from this value")
    band: Band | None = Field(default=None, description="For a survey measure: where the "
                              "survey placed the site's organisation against what was expected")


class ReferenceDoc(Strict):
    period: date = Field(description="The first day of the period (a survey year: 1 January)")
    value: Value = Field(description="The national value")
    lower: Value | None = Field(default=None, description="The published range: lower end")
    upper: Value | None = Field(default=None, description="The published range: upper end")


class ConsultancyDoc(Strict):
    delivered_on: Day
    days: float = Field(gt=0, le=1000, multiple_of=0.5,
                        description="Whole or half days")
    purpose: str = Field(min_length=1, max_length=500)
    delivered_by: Email | None = Field(default=None, description="A project-team member")
    peer_trainer: str | None = Field(default=None, max_length=200,
                                     description="A peer trainer who has no account here")


class MeasureDoc(Strict):
    name: str = Field(min_length=1, max_length=120)
    core: bool = Field(description="A programme-wide measure (true) or the site's own")
    definition: str = Field(default="", max_length=5000)
    kind: MeasureKind
    unit: str = Field(default="", max_length=30)
    numerator_label: str = Field(default="", max_length=120)
    denominator_label: str = Field(default="", max_length=120)
    scale: int = Field(default=1, ge=1, le=1_000_000)
    direction: Direction
    target: Value | None = None
    frequency: Frequency
    chart: ChartType
    baseline_points: int | None = Field(default=None, ge=2, le=500)
    starts_on: date
    archived: bool = False
    challenges: list[Number] = Field(default_factory=list, max_length=10)
    values: list[ValueDoc] = Field(default_factory=list, max_length=100_000)
    reference: list[ReferenceDoc] = Field(
        default_factory=list, max_length=500,
        description="The national reference series (for example a survey's national results)")


class ProgressScoreDoc(Strict):
    cycle: int = Field(ge=1, le=10_000, description="The number of a cycle of `cycles`")
    giver: Giver = Field(description="site: the steering group's (its lead); facilitator: "
                         "the facilitator of the learning set the cycle ran in")
    score: float = Field(ge=0.5, le=5.0, multiple_of=0.5,
                         description="The collaborative progress scale, 0.5 to 5.0")
    comment: Comment = ""
    given_by: Email | None = None
    updated_at: AwareDatetime | None = None


class CycleDoc(Strict):
    number: int = Field(ge=1, le=10_000)
    framework_version: str = Field(max_length=40)
    stage: Stage
    started_on: Day
    review_due_on: Day | None = None
    meeting: MeetingDoc | None = None
    signed_off_at: AwareDatetime | None = None
    signed_off_by: Email | None = None
    closed_at: AwareDatetime | None = None
    pdsa: PdsaDoc = Field(default_factory=PdsaDoc)
    ratings: list[RatingDoc] = Field(default_factory=list, max_length=MANY)
    consensus: list[ScoreDoc] = Field(default_factory=list, max_length=100)
    facilitator_ratings: list[FacilitatorRatingDoc] = Field(default_factory=list,
                                                             max_length=MANY)
    priorities: list[PriorityDoc] = Field(default_factory=list, max_length=10)
    actions: list[ActionDoc] = Field(default_factory=list, max_length=MANY)
    feedback: list[FeedbackDoc] = Field(default_factory=list, max_length=MANY)


class ExchangeDoc(Strict):
    """One site's history: the site, its people, every cycle with its scores and plan, and
    its measures."""

    format: Literal["imroc-exchange"] = FORMAT
    format_version: Literal[2] = FORMAT_VERSION
    exported_at: AwareDatetime
    framework: FrameworkRef
    site: SiteDoc
    people: list[PersonDoc] = Field(default_factory=list, max_length=MANY)
    cycles: list[CycleDoc] = Field(default_factory=list, max_length=10_000)
    # Sections beside the cycles, one per exchange_sections.SECTIONS entry.
    measures: list[MeasureDoc] = Field(default_factory=list, max_length=1000)
    consultancy: list[ConsultancyDoc] = Field(default_factory=list, max_length=10_000)
    progress_scores: list[ProgressScoreDoc] = Field(default_factory=list, max_length=MANY)
    shared_changes: list[SharedChangeDoc] = Field(default_factory=list, max_length=MANY)
    tried_changes: list[TriedChangeDoc] = Field(default_factory=list, max_length=MANY)

    @field_validator("progress_scores")
    @classmethod
    def _scores_of_listed_cycles(cls, scores: list[ProgressScoreDoc],
                                 info: ValidationInfo) -> list[ProgressScoreDoc]:
        numbers = {c.number for c in info.data.get("cycles", [])}
        for i, p in enumerate(scores):
            if p.cycle not in numbers:
                raise PydanticCustomError(
                    "unknown_cycle", "Progress score {i} is of cycle {n}, which the document "
                    "does not have", {"i": i, "n": p.cycle})
        return scores


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of the document."""
    out = ExchangeDoc.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            **out}
