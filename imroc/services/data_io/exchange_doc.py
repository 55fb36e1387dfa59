"""The open JSON exchange document for one site, format version 1.

schemas/imroc-exchange-1.schema.json is generated from these classes (`schema()`), and a
test keeps the two the same. People are named by email: `people` lists everyone the
document mentions, with their role and perspective at the site when they are a member of
its steering group (null otherwise: facilitators, authors of feedback, former members).
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from imroc.models.action import ActionStatus, Outcome
from imroc.models.cycle import Stage
from imroc.models.framework import CHALLENGE_COUNT
from imroc.models.user import EMAIL_PATTERN, Perspective, SiteRole
from imroc.validation import Day, InputModel

FORMAT = "imroc-exchange"
FORMAT_VERSION = 1
SCHEMA_ID = "https://imroc.example/schemas/imroc-exchange-1.schema.json"

Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]
Level = Annotated[int, Field(ge=0, le=20)]
Number = Annotated[int, Field(ge=1, le=CHALLENGE_COUNT)]
Text = Annotated[str, Field(max_length=5000)]
Comment = Annotated[str, Field(max_length=2000)]
MANY = 100_000


class Strict(InputModel):
    model_config = ConfigDict(extra="forbid")


class FrameworkRef(Strict):
    id: str = Field(max_length=40, description="The framework's key, e.g. imroc")
    version: str = Field(max_length=40)


class LearningSetDoc(Strict):
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(default="", max_length=100)
    facilitators: list[Email] = Field(default_factory=list, max_length=50)


class SiteDoc(Strict):
    name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(default="", max_length=200)
    kind: str = Field(min_length=1, max_length=40)
    region: str = Field(default="", max_length=100)
    joined_on: Day | None = None
    consultancy_days_allocated: int = Field(ge=0, le=1000)
    consultancy_days_used: int = Field(ge=0, le=1000)
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
    """One site's history: the site, its people, and every cycle with its scores and plan."""

    format: Literal["imroc-exchange"] = FORMAT
    format_version: Literal[1] = FORMAT_VERSION
    exported_at: AwareDatetime
    framework: FrameworkRef
    site: SiteDoc
    people: list[PersonDoc] = Field(default_factory=list, max_length=MANY)
    cycles: list[CycleDoc] = Field(default_factory=list, max_length=10_000)


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of the document."""
    out = ExchangeDoc.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            **out}
