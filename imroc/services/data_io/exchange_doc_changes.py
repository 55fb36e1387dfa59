"""The exchange document's changes that worked: `shared_changes` and `tried_changes`
(exchange_changes.py and exchange_tried.py read and write them)."""

from uuid import UUID

from pydantic import AwareDatetime, Field, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from imroc.models.change import ChangeScope
from imroc.services.data_io.exchange_types import MANY, Email, Strict, Text


class ActionPlace(Strict):
    cycle: int = Field(ge=1, le=10_000, description="The number of the action's cycle")
    action: int = Field(ge=1, le=100_000, description="Its place in the cycle's plan, from 1")


class TriedAt(ActionPlace):
    site: UUID = Field(description="The identifier (uid) of the site whose action it is")


class ChangeRef(Strict):
    """A change as any installation can find it: by its identifier (uid). Documents written
    before changes had one name the sharing site's uid and the cycle and place of the action
    it was shared from instead; both are still read."""

    uid: UUID | None = Field(default=None, description="The change's identifier")
    site: UUID | None = Field(default=None, description=(
        "Older documents: the sharing site's identifier (uid), with `cycle` and `action`"))
    cycle: int | None = Field(default=None, ge=1, le=10_000)
    action: int | None = Field(default=None, ge=1, le=100_000)
    title: str = Field(min_length=1, max_length=200, description="The change's title")

    @model_validator(mode="after")
    def _named_one_way(self) -> "ChangeRef":
        place = (self.site, self.cycle, self.action)
        if self.uid is None and None in place:
            raise PydanticCustomError(
                "change_ref", "Name the change by its uid (or, as older documents do, by "
                "site, cycle and action)")
        if self.uid is not None and place != (None, None, None):
            raise PydanticCustomError(
                "change_ref", "Name the change by its uid or by site, cycle and action, not "
                "both")
        return self

    @model_serializer(mode="wrap")
    def _only_the_way_named(self, handler) -> dict:
        return {k: v for k, v in handler(self).items() if v is not None}


class MeasureReading(Strict):
    name: str = Field(min_length=1, max_length=120)
    summary: Text = Field(default="", description="The chart read in words when shared")


class SharedChangeDoc(ActionPlace):
    """An action of this document shared as a change that worked, as it was shared."""

    uid: UUID | None = Field(default=None, description=(
        "The change's identifier, which other sites' documents name it by; an import gives "
        "a change without one a new one"))
    scope: ChangeScope
    learning_set: str | None = Field(default=None, min_length=1, max_length=200, description=(
        "The learning set the cycle ran in, by name; required when shared with a learning set"))
    anonymised: bool = Field(default=False, description="Shown without the site's name")
    title: str = Field(min_length=1, max_length=200)
    what_was_done: Text = ""
    prediction: Text = ""
    result: Text = ""
    measures: list[MeasureReading] = Field(default_factory=list, max_length=100)
    shared_by: Email | None = None
    shared_at: AwareDatetime
    withdrawn_at: AwareDatetime | None = None
    tried_at: list[TriedAt] = Field(default_factory=list, max_length=MANY, description=(
        "The actions, of any site, that tried it: an import links those already there"))


class TriedChangeDoc(ActionPlace):
    """An action of this document that tries a change a site shared."""

    change: ChangeRef
