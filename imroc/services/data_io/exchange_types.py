"""The building blocks of the exchange document's classes (exchange_doc.py)."""

from typing import Annotated

from pydantic import ConfigDict, Field

from imroc.models.framework import CHALLENGE_COUNT
from imroc.models.user import EMAIL_PATTERN
from imroc.validation import InputModel

Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]
Level = Annotated[int, Field(ge=0, le=20)]
Number = Annotated[int, Field(ge=1, le=CHALLENGE_COUNT)]
Text = Annotated[str, Field(max_length=5000)]
Comment = Annotated[str, Field(max_length=2000)]
MANY = 100_000


class Strict(InputModel):
    model_config = ConfigDict(extra="forbid")
