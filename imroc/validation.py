"""Turning input into validated models, with reasons in plain English per field."""

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, ValidationError

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

_MESSAGES = {
    "missing": "Enter {label}",
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
}


# How to ask for a missing field, in the words of the NHS style guide ("Enter...", "Select...").
ASK = {
    "name": "Enter the name", "email": "Enter an email address", "password": "Enter a password",
    "title": "Enter a title", "held_on": "Enter the date of the meeting",
    "reason": "Enter the reason", "body": "Enter your feedback", "aim": "Enter the aim",
    "kind": "Select a kind of site", "role": "Select a role",
    "perspective": "Select a perspective", "global_role": "Select a programme role",
    "challenge": "Select a challenge", "level": "Select a level", "status": "Select a status",
    "outcome": "Select an outcome", "target_level": "Select a target level",
    "rank": "Select a rank", "version": "The form is out of date: reload the page",
}


def field_label(name: str) -> str:
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
