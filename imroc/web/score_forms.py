"""Forms of the ten challenges (ratings, the consensus, the facilitator's view).

Each reads `level_{n}` and a text field per challenge, and names its errors by those fields.
"""

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session
from starlette.datastructures import FormData

from imroc.errors import Invalid
from imroc.models import Cycle, Site
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.services import access, frameworks
from imroc.services.access import Principal
from imroc.validation import parse
from imroc.web.forms import error_list, fields


def one_challenge(form: FormData) -> int | None:
    """The single challenge an htmx save names, if any."""
    value = form.get("challenge")
    if isinstance(value, str) and value.isdigit() and int(value) in CHALLENGE_NUMBERS:
        return int(value)
    return None


def score_values(form: FormData, text: str, only: int | None = None) -> dict[str, Any]:
    """The typed `level_{n}` and `{text}_{n}` fields, of one challenge or all ten."""
    numbers = [only] if only else CHALLENGE_NUMBERS
    return fields(form, *(f"{kind}_{n}" for n in numbers for kind in ("level", text)))


DONT_KNOW_VALUE = "dont_know"  # the "Don't know" radio of a member's own rating


def parse_scores(model: type[BaseModel], values: dict[str, Any], *, text: str, key: str,
                 stored: dict[int, str] | None = None, dont_know: bool = False) -> BaseModel:
    """Form fields -> RatingsIn or ScoresIn; a challenge without a level is left out.
    With dont_know, the level field may say "don't know" (a member's own rating).

    Text typed for a challenge without a level is refused rather than dropped; text that is
    only what was already stored (say, last cycle's rationale) is left alone.
    """
    stored = stored or {}
    items: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for n in CHALLENGE_NUMBERS:
        level, words = values.get(f"level_{n}"), values.get(f"{text}_{n}")
        if level is None:
            if words and words != stored.get(n, "").strip():
                errors[f"level_{n}"] = f"Select a level for challenge {n}, or clear its {text}"
            continue
        if dont_know and level == DONT_KNOW_VALUE:
            items.append({"challenge": n, "level": None, "dont_know": True, text: words or ""})
            continue
        items.append({"challenge": n, "level": level, text: words or ""})
    try:
        data = parse(model, {key: items})
    except Invalid as exc:
        errors.update(field_errors(exc.errors, items, text, from_model=True))
        data = None
    if errors:
        raise Invalid(errors)
    return data


def field_errors(errors: dict[str, str], items: list[dict[str, Any]], text: str, *,
                 from_model: bool = False) -> dict[str, str]:
    """Errors on `ratings.2.level` (API names) -> errors on `level_5` (this form's names)."""
    out: dict[str, str] = {}
    for name, message in errors.items():
        parts = name.split(".")
        if len(parts) < 3 or not parts[1].isdigit() or int(parts[1]) >= len(items):
            out.setdefault(name, message)
            continue
        n = items[int(parts[1])]["challenge"]
        if parts[2] == text:
            out.setdefault(f"{text}_{n}", f"Challenge {n}: {message[0].lower()}{message[1:]}")
        elif from_model:  # not a whole number, or far outside any scale
            out.setdefault(f"level_{n}", f"Select one of the levels for challenge {n}")
        else:
            out.setdefault(f"level_{n}", message)
    return out


def save_scores(save: Callable[[Any], Any], model: type[BaseModel], values: dict[str, Any], *,
                text: str, key: str, stored: dict[int, str] | None = None,
                dont_know: bool = False) -> None:
    """Parse the form and call the service, with any errors named by this form's fields."""
    data = parse_scores(model, values, text=text, key=key, stored=stored, dont_know=dont_know)
    try:
        save(data)
    except Invalid as exc:
        items = [item.model_dump() for item in getattr(data, key)]
        raise Invalid(field_errors(exc.errors, items, text)) from None


def page_context(session: Session, principal: Principal, cycle: Cycle, site: Site, *,
                 values: dict | None, errors: dict | None) -> dict[str, Any]:
    """What every assessment page needs: the cycle, its framework and the form state."""
    errors = errors or {}
    return {"cycle": cycle, "site": site, "values": values or {}, "errors": errors,
            "error_list": error_list(errors),
            "framework": frameworks.document_by_id(session, cycle.framework_id),
            "rates": access.is_group_member(principal, site)}
