"""Discussion: threads in a learning set or across the programme, and their posts."""

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.validation import Id, InputModel, Whole


class Thread(SQLModel, table=True):
    """A conversation: in one learning set, or across the programme when the set is empty.
    It may be about one of the ten challenges, one cycle or one shared change."""

    __tablename__ = "thread"
    __table_args__ = (Index("ix_thread_set_last_post", "learning_set_id", "last_post_at"),)

    id: int | None = Field(default=None, primary_key=True)
    learning_set_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("learning_set.id"), nullable=True))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    author_id: int = Field(sa_column=Column(Integer, ForeignKey("user_account.id"),
                                            nullable=False))
    challenge: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    cycle_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("cycle.id"), nullable=True))
    # A shared change the thread is about (models/change.py).
    change_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("shared_change.id"), nullable=True, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the latest post came: threads are listed by it, busiest first.
    last_post_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Post(SQLModel, table=True):
    """One message in a thread, kept as typed (formatting is rendered when shown). A hidden
    post keeps its text; who hid it and why are shown to those who may moderate."""

    __tablename__ = "post"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(sa_column=Column(Integer, ForeignKey("thread.id"), nullable=False,
                                            index=True))
    author_id: int = Field(sa_column=Column(Integer, ForeignKey("user_account.id"),
                                            nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    hidden_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    hidden_by: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("user_account.id"), nullable=True))
    hidden_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# --- input and output shapes ------------------------------------------------------------

BODY = 10000


class ThreadCreate(InputModel):
    ASK: ClassVar[dict[str, str]] = {"text": "Enter your message"}

    title: str = PField(min_length=1, max_length=200)
    text: str = PField(min_length=1, max_length=BODY)
    challenge: Whole | None = PField(default=None, ge=1, le=10)
    cycle_id: Id | None = None
    change_id: Id | None = None


class PostCreate(InputModel):
    ASK: ClassVar[dict[str, str]] = {"text": "Enter your reply"}

    # Named `text`, not `body`: the API's errors name the field, and `body` is the request.
    text: str = PField(min_length=1, max_length=BODY)


class PostHide(InputModel):
    ASK: ClassVar[dict[str, str]] = {"reason": "Enter why the post is hidden"}

    reason: str = PField(min_length=1, max_length=1000)


class ThreadPublic(BaseModel):
    id: int
    learning_set_id: int | None
    title: str
    author_id: int
    author_name: str
    challenge: int | None
    cycle_id: int | None
    change_id: int | None = None
    created_at: datetime
    last_post_at: datetime
    posts: int


class PostPublic(BaseModel):
    id: int
    thread_id: int
    author_id: int
    author_name: str
    created_at: datetime
    hidden: bool
    # Null when hidden, except for those who may moderate the thread.
    text: str | None
    # The text as shown: a small set of formatting, sanitised.
    html: str | None
    hidden_by_name: str | None = None
    hidden_reason: str | None = None
