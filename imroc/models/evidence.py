"""Evidence: files and links attached to a rating, an agreed level, an action or the PDSA
record of a cycle. A file's content lives in the files directory under its SHA-256; the
name it was given is for display only and never used as a path."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.models.framework import CHALLENGE_COUNT
from imroc.validation import Id, InputModel, Whole


class AttachedTo(StrEnum):
    rating = "rating"
    consensus = "consensus"
    action = "action"
    pdsa = "pdsa"


ATTACHED_LABELS = {"rating": "A rating", "consensus": "An agreed level", "action": "An action",
                   "pdsa": "The PDSA record"}
# Evidence of the assessment is frozen at sign-off; of the plan and its record at closing.
OF_ASSESSMENT = frozenset({AttachedTo.rating, AttachedTo.consensus})
URL_LENGTH = 2000
TITLE_LENGTH = 200
NAME_LENGTH = 255


class Evidence(SQLModel, table=True):
    """One file or link attached to something of a cycle."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint("attached_to IN ('rating', 'consensus', 'action', 'pdsa')",
                        name="attached_to_known"),
        CheckConstraint("kind IN ('file', 'link')", name="kind_known"),
        CheckConstraint("(kind = 'file' AND sha256 IS NOT NULL AND size IS NOT NULL "
                        "AND url IS NULL) OR (kind = 'link' AND url IS NOT NULL "
                        "AND sha256 IS NULL)", name="file_or_link"),
        CheckConstraint("(attached_to = 'action') = (action_id IS NOT NULL)",
                        name="action_named"),
        CheckConstraint("(attached_to = 'rating') = (rater_id IS NOT NULL)",
                        name="rater_named"),
        CheckConstraint("(attached_to IN ('rating', 'consensus')) = (challenge IS NOT NULL)",
                        name="challenge_named"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(sa_column=Column(Integer, ForeignKey("cycle.id"), nullable=False,
                                           index=True))
    attached_to: str = Field(sa_column=Column(String(10), nullable=False))
    # The challenge of a rating or an agreed level (an action's comes from the action).
    challenge: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    # An action deleted (only ever while its cycle is open) takes its evidence with it.
    action_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("action.id", ondelete="CASCADE"), nullable=True, index=True))
    # The person whose rating it backs (always the person who added it).
    rater_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("user_account.id"), nullable=True))
    kind: str = Field(sa_column=Column(String(4), nullable=False))
    name: str = Field(default="", sa_column=Column(String(NAME_LENGTH), nullable=False))
    content_type: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    size: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    sha256: str | None = Field(default=None, sa_column=Column(String(64), nullable=True,
                                                              index=True))
    url: str | None = Field(default=None, sa_column=Column(String(URL_LENGTH), nullable=True))
    title: str = Field(default="", sa_column=Column(String(TITLE_LENGTH), nullable=False))
    added_by: int = Field(sa_column=Column(Integer, ForeignKey("user_account.id"),
                                           nullable=False))
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- input and output shapes ------------------------------------------------------------

class EvidenceIn(InputModel):
    """What is attached and to what; the file itself travels beside it (multipart `file`)."""

    ASK: ClassVar[dict[str, str]] = {"attached_to": "Select what the evidence is for",
                                     "challenge": "Select a challenge",
                                     "action_id": "Select an action"}

    attached_to: AttachedTo = PField(description="What the evidence backs: a rating (your "
                                     "own), an agreed level, an action or the PDSA record")
    challenge: Whole | None = PField(default=None, ge=1, le=CHALLENGE_COUNT,
                                     description="For a rating or an agreed level")
    action_id: Id | None = PField(default=None, description="For an action of this cycle")
    url: str | None = PField(default=None, max_length=URL_LENGTH,
                             description="A link (http or https) instead of a file")
    title: str | None = PField(default=None, max_length=TITLE_LENGTH,
                               description="What the link or file is, in a few words")


class EvidencePublic(BaseModel):
    id: int
    cycle_id: int
    attached_to: AttachedTo
    challenge: int | None
    action_id: int | None
    rater_id: int | None
    kind: Literal["file", "link"]
    name: str = PField(description="The file's name as it was given (display only)")
    content_type: str | None = PField(description="The type read from the content")
    size: int | None = PField(description="In bytes")
    sha256: str | None
    url: str | None = PField(description="The link, for a link")
    title: str
    download_url: str | None = PField(description="Where to download the file")
    added_by: int
    added_at: datetime
    frozen: bool = PField(description="Whether it can no longer change: evidence of ratings "
                          "and agreed levels from sign-off, of actions and the PDSA record "
                          "from the cycle's closing")
