"""Turning input into validated models, with reasons in plain English per field."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from imroc import clock
from imroc.errors import Invalid

M = TypeVar("M", bound=BaseModel)

# Ids and versions fit the databases' 32-bit integers: larger numbers are refused (422),
# never passed to SQLite or PostgreSQL to overflow.
MAX_INT = 2_147_483_647


def _not_a_boolean(value: Any) -> Any:
    # JSON true/false are not numbers, though Python would happily count them as 1 and 0.
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


Whole = Annotated[int, BeforeValidator(_not_a_boolean)]
Id = Annotated[Whole, Field(ge=1, le=MAX_INT)]
Version = Annotated[Whole, Field(ge=1, le=MAX_INT,
                                 description="The version you read; a stale one gets 409")]

# Consultancy is given in whole or half days; one entry is at most four working weeks.
MAX_DAYS_PER_ENTRY = 20


def _half_days(value: Decimal) -> Decimal:
    if value * 2 != (value * 2).to_integral_value():
        raise PydanticCustomError("half_days", "must be in whole or half days")
    return value


HalfDays = Annotated[Decimal, BeforeValidator(_not_a_boolean),
                     Field(gt=0, le=MAX_DAYS_PER_ENTRY), AfterValidator(_half_days)]


def _worked_out(value: Any) -> Any:
    raise PydanticCustomError("worked_out", "is worked out from the consultancy entries")


# A number the product works out and nobody may send (a read-only field): any value is refused.
WorkedOut = Annotated[Any, BeforeValidator(_worked_out)]

# Every date a person gives: from 2000 (before ImROC) to two years ahead, so that nothing
# built on it (a review date, a period) can run off the calendar.
EARLIEST_DAY = date(2000, 1, 1)
YEARS_AHEAD = 2


def latest_day() -> date:
    """The last date the product takes: two years from today (28 February for a 29th)."""
    today = clock.today()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def _uk(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _sensible_day(value: date) -> date:
    latest = latest_day()
    if not EARLIEST_DAY <= value <= latest:
        raise PydanticCustomError("date_out_of_range", "must be between {earliest} and {latest}",
                                  {"earliest": _uk(EARLIEST_DAY), "latest": _uk(latest)})
    return value


# What each date is called on the pages: the date input's legend and every message about the
# date use these words, so the two cannot disagree.
DATE_LABELS = {
    "started_on": "start date", "review_due_on": "review date", "due_on": "due date",
    "held_on": "date of the meeting", "joined_on": "date joined the programme",
    "starts_on": "first period", "delivered_on": "date of the consultancy",
}


@dataclass(frozen=True)
class TypedDate:
    """A day, month and year typed in a form that do not make a date: the reason (an error
    type of _MESSAGES), the parts at fault and, for a missing part, the words naming them."""

    reason: str
    parts: tuple[str, ...]
    missing: str = ""


def _typed_date(value: Any) -> Any:
    # Only the HTML forms build a TypedDate (JSON cannot), so the API is unchanged.
    if isinstance(value, TypedDate):
        raise PydanticCustomError(value.reason, "is not a date", {"missing": value.missing})
    return value


Day = Annotated[date, BeforeValidator(_typed_date), AfterValidator(_sensible_day)]

# Characters no one types: control characters (tab and line breaks aside) and the halves of
# a character that JSON can send alone. Stored, they break exports and other systems.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\t\n\r]")
UNTYPABLE = "has a character that cannot be stored (a control character)"


def untypable(text: str) -> bool:
    """Whether text holds a character no one types (see _CONTROL)."""
    return bool(_CONTROL.search(text))

ONE_LINE = 300  # text of at most this many characters is a single line (a name, a title)
KEEP_AS_TYPED = frozenset({"password", "confirm"})


def _max_length(model: type[BaseModel], name: str) -> int | None:
    field = model.model_fields.get(name)
    for item in field.metadata if field else ():
        if getattr(item, "max_length", None) is not None:
            return item.max_length
    return None


class InputModel(BaseModel):
    """What people send: text is trimmed before it is checked (so "   " counts as empty, in
    the forms and the API alike), and characters that no one types are refused."""

    @field_validator("*", mode="before")
    @classmethod
    def _trim(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and info.field_name not in KEEP_AS_TYPED:
            return value.strip()
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _typed_text(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            if untypable(value):
                raise PydanticCustomError("control_character", UNTYPABLE)
            limit = _max_length(cls, info.field_name)
            if limit is not None and limit <= ONE_LINE and _LINE_BREAKS.search(value):
                raise PydanticCustomError("line_break", "must be on one line")
        return value


_MESSAGES = {
    "missing": "Enter {label}",
    "date_out_of_range": "{Label} must be between {earliest} and {latest}",
    "date_incomplete": "{Label} must include {missing}",
    "date_not_real": "{Label} must be a real date",
    "date_year_digits": "{Label} must include a year with 4 numbers",
    "control_character": "{Label} has a character that cannot be stored (a control character)",
    "line_break": "{Label} must be on one line, without tabs or line breaks",
    "string_too_short": "{Label} must be at least {min_length} characters",
    "string_pattern_mismatch": "Enter {label} in the correct format",
    "string_too_long": "{Label} must be {max_length} characters or fewer",
    "int_parsing": "{Label} must be a whole number",
    "int_type": "{Label} must be a whole number",
    "int_from_float": "{Label} must be a whole number",
    "greater_than_equal": "{Label} must be {ge} or more",
    "less_than_equal": "{Label} must be {le} or less",
    "date_from_datetime_parsing": "{Label} must be a real date, like 2024-03-31",
    "date_parsing": "{Label} must be a real date, like 2024-03-31",
    "date_type": "{Label} must be a real date, like 2024-03-31",
    "enum": "Select {label}",
    "literal_error": "Select {label}",
    "list_type": "{Label} must be a list",
    "float_parsing": "{Label} must be a number",
    "float_type": "{Label} must be a number",
    "finite_number": "{Label} must be a finite number",
    "bool_parsing": "Select yes or no for {label}",
    "bool_type": "Select yes or no for {label}",
    "string_type": "{Label} must be text",
    "string_unicode": "{Label} has a character that cannot be stored",
    "int_parsing_size": "{Label} is far too large a number",
    "greater_than": "{Label} must be more than {gt}",
    "decimal_parsing": "{Label} must be a number, like 1 or 0.5",
    "decimal_type": "{Label} must be a number, like 1 or 0.5",
    "half_days": "{Label} must be in whole or half days, like 1 or 1.5",
    "worked_out": "{Label} is worked out from the consultancy entries",
    "date_from_datetime_inexact": "{Label} must be a date without a time, like 2024-03-31",
    "progress_score": "{Label} must be from 0.5 to 5.0 in steps of 0.5",
}


# How to ask for a missing field, in the words of the NHS style guide ("Enter...", "Select...").
ASK = {
    "name": "Enter the name", "email": "Enter an email address", "password": "Enter a password",
    "title": "Enter a title",
    "reason": "Enter the reason", "body": "Enter your feedback", "aim": "Enter the aim",
    "kind": "Select a kind of site", "role": "Select a role",
    "perspective": "Select a perspective", "global_role": "Select a programme role",
    "challenge": "Select a challenge", "level": "Select a level", "status": "Select a status",
    "outcome": "Select an outcome", "target_level": "Select a target level",
    "rank": "Select a rank", "days": "Enter the number of days",
    "purpose": "Enter what the consultancy was for", "score": "Select a progress score",
    "scope": "Select who to share the change with",
    "version": "The form is out of date: reload the page",
    "attached_to": "Select what the evidence is for",
    **{name: f"Enter the {label}" for name, label in DATE_LABELS.items()},
}


def field_label(name: str) -> str:
    """A field's name in words: the page's label for a date, else the name itself."""
    if name in DATE_LABELS:
        return DATE_LABELS[name]
    return name.replace("_ids", "s").replace("_id", "").replace("_", " ")


def reasons(details: Iterable[Mapping[str, Any]],
            asks: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map each failing field (pydantic error dicts) to one plain-English reason. `asks`
    (a model's own ASK) words the request for a missing field where the shared one would not
    fit, such as the kind of a measure rather than of a site."""
    ask = {**ASK, **(asks or {})}
    errors: dict[str, str] = {}
    for err in details:
        loc = [p for p in err["loc"] if p not in ("body", "query", "path", "form")]
        name = ".".join(str(p) for p in loc) or "body"
        words = [str(p) for p in loc if not isinstance(p, int)]
        label = field_label(words[-1]) if words else "the request"
        template = _MESSAGES.get(err["type"])
        ctx = {k: v for k, v in (err.get("ctx") or {}).items()}
        if err["type"] == "string_too_short" and ctx.get("min_length") == 1:
            template = _MESSAGES["missing"]
        if err["type"].endswith("_type") and err.get("input", "") is None or err["type"] == "missing":
            template = _MESSAGES["missing"]  # a blank form field or a JSON null
        if err["type"] == "greater_than_equal" and not isinstance(ctx.get("ge"), (int, float)):
            template = "{Label} must be on or after {ge}"
        if err["type"] == "string_pattern_mismatch" and "email" in label:
            template = "Enter an email address in the correct format, like name@example.org"
        if template in (_MESSAGES["missing"], _MESSAGES["enum"]) and words and words[-1] in ask:
            message = ask[words[-1]]
        elif template:
            message = template.format(label=label, Label=label.capitalize(), **ctx)
        else:
            message = f"{label.capitalize()}: {err['msg']}"
        errors.setdefault(name, message)
    return errors


def parse(model: type[M], data: dict[str, Any]) -> M:
    """Validate data into a model or raise Invalid naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(reasons(exc.errors(), getattr(model, "ASK", None))) from None


def blank_to_none(data: dict[str, Any]) -> dict[str, Any]:
    """Empty form fields mean 'not given'."""
    return {k: (None if isinstance(v, str) and v.strip() == "" else v) for k, v in data.items()}
