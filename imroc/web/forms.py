"""Reading HTML form posts for routes that re-render with errors."""

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from imroc.deps import CSRF_FIELD
from imroc.validation import DATE_LABELS, TypedDate

PARTS = ("day", "month", "year")
_DIGITS = re.compile("[0-9]+")


async def read_form(request: Request) -> FormData:
    """The posted form (already parsed once by the CSRF check, so this is free)."""
    return await request.form()


Form = Annotated[FormData, Depends(read_form)]


def fields(form: FormData, *names: str) -> dict[str, Any]:
    """Text fields by name, trimmed; missing ones are absent, blank ones are None. A date is
    typed as day, month and year (`<name>-day`, ...): it becomes one ISO date (or None when all
    three are blank), and the parts are kept as typed for the form to show again."""
    out: dict[str, Any] = {}
    for name in names:
        if name == CSRF_FIELD:
            continue
        if name in DATE_LABELS and (typed := _typed(form, name)) is not None:
            out |= typed
            continue
        if name not in form:
            continue
        value = form.get(name)
        if isinstance(value, str):
            value = value.strip()
            out[name] = value if value != "" else None
    return out


def _typed(form: FormData, name: str) -> dict[str, Any] | None:
    """The date typed in three parts, or None if the form has no parts to read. A page cached
    from before the date input (one ISO field, parts absent or blank) is still understood."""
    raw = {part: form.get(f"{name}-{part}") for part in PARTS}
    if all(value is None for value in raw.values()):
        return None
    typed = {part: value.strip() if isinstance(value, str) else "" for part, value in raw.items()}
    single = form.get(name)
    if not any(typed.values()) and isinstance(single, str) and single.strip():
        return None
    return {f"{name}-{part}": typed[part] for part in PARTS} | {name: combine(**typed)}


def combine(day: str, month: str, year: str) -> str | TypedDate | None:
    """The ISO date that day, month and year make, None if all are blank, or what is wrong."""
    typed = {"day": day, "month": month, "year": year}
    missing = [part for part in PARTS if not typed[part]]
    if len(missing) == len(PARTS):
        return None
    if missing:
        return TypedDate("date_incomplete", tuple(missing), "a " + " and ".join(missing))
    not_numbers = tuple(part for part in PARTS if not _DIGITS.fullmatch(typed[part]))
    if not_numbers:
        return TypedDate("date_not_real", not_numbers)
    if len(year) != 4:
        return TypedDate("date_year_digits", ("year",))
    if int(year) < 1:
        return TypedDate("date_not_real", ("year",))
    if len(month) > 2 or not 1 <= int(month) <= 12:
        return TypedDate("date_not_real", ("month",))
    if len(day) > 2:
        return TypedDate("date_not_real", ("day",))
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return TypedDate("date_not_real", ("day",))


def date_parts(values: dict[str, Any], name: str) -> dict[str, Any]:
    """What a date input shows: the parts as typed, else those of the date saved; and the
    parts at fault (empty when the fault is the whole date, or there is none)."""
    value = values.get(name)
    if any(f"{name}-{part}" in values for part in PARTS):
        shown = {part: values.get(f"{name}-{part}") or "" for part in PARTS}
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            value = None
        shown = _of(value)
    else:
        shown = _of(value if isinstance(value, date) else None)
    return shown | {"faulty": value.parts if isinstance(value, TypedDate) else ()}


def _of(value: date | None) -> dict[str, str]:
    if value is None:
        return {part: "" for part in PARTS}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    """The items of the error summary, each linking to its field (a date to its day)."""
    items = []
    for name, msg in errors.items():
        anchor = name.split(".")[0].replace("_", "-")
        if any(anchor == key or anchor.endswith("-" + key)
               for key in (d.replace("_", "-") for d in DATE_LABELS)):
            anchor += "-day"
        items.append({"text": msg, "href": f"#{anchor}"})
    return items
