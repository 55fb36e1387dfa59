"""Reporting periods: weeks start on Monday, months on the 1st, quarters on 1 January,
1 April, 1 July and 1 October, years (annual surveys) on 1 January. A period is named by the
day it starts."""

from datetime import date, timedelta

FREQUENCIES = ("weekly", "monthly", "quarterly", "yearly")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def start_of(day: date, frequency: str) -> date:
    """The first day of the period that contains `day`."""
    if frequency == "weekly":
        return day - timedelta(days=day.weekday())
    if frequency == "monthly":
        return day.replace(day=1)
    if frequency == "quarterly":
        return date(day.year, 1 + 3 * ((day.month - 1) // 3), 1)
    if frequency == "yearly":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown frequency {frequency!r}")


def is_start(day: date, frequency: str) -> bool:
    return start_of(day, frequency) == day


def following(start: date, frequency: str) -> date:
    """The first day of the next period."""
    if frequency == "weekly":
        return start + timedelta(days=7)
    if frequency == "yearly":
        return date(start.year + 1, 1, 1)
    step = 1 if frequency == "monthly" else 3
    month = start.month - 1 + step
    return date(start.year + month // 12, month % 12 + 1, 1)


def between(first: date, last: date, frequency: str) -> list[date]:
    """Every period start from the period containing `first` to the one containing `last`."""
    out: list[date] = []
    current, end = start_of(first, frequency), start_of(last, frequency)
    while current <= end:
        out.append(current)
        current = following(current, frequency)
    return out


def last_complete(today: date, frequency: str) -> date:
    """The start of the latest period that has already ended."""
    current = start_of(today, frequency)
    return start_of(current - timedelta(days=1), frequency)


def label(start: date, frequency: str) -> str:
    """A period as people name it: "w/c 3 Mar 2025", "Mar 2025", "Jan–Mar 2025" or "2025"."""
    if frequency == "weekly":
        return f"w/c {start.day} {_MONTHS[start.month - 1]} {start.year}"
    if frequency == "monthly":
        return f"{_MONTHS[start.month - 1]} {start.year}"
    if frequency == "yearly":
        return str(start.year)
    q = (start.month - 1) // 3
    return f"{_MONTHS[3 * q]}–{_MONTHS[3 * q + 2]} {start.year}"


def parse(text: str, frequency: str) -> date:
    """A period from "2025-03-01" (its first day) or, for monthly and quarterly measures,
    "2025-03", or for yearly ones "2025"; ValueError with a plain reason otherwise."""
    text = text.strip()
    try:
        if frequency == "yearly" and len(text) == 4 and text.isdigit():
            day = date(int(text), 1, 1)
        elif len(text) == 7 and frequency != "weekly":
            day = date.fromisoformat(text + "-01")
        else:
            day = date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a year like 2025" if frequency == "yearly"
                         else "must be a date like 2025-03-01") from None
    if not is_start(day, frequency):
        raise ValueError(_NOT_START[frequency] + f", like {start_of(day, frequency).isoformat()}")
    return day


_NOT_START = {
    "weekly": "must be the Monday that starts the week",
    "monthly": "must be the first day of the month",
    "quarterly": "must be the first day of a quarter (1 January, April, July or October)",
    "yearly": "must be the survey year (1 January of that year)",
}


def not_start_reason(frequency: str) -> str:
    return _NOT_START[frequency]
