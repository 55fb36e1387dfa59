"""What both import readers check a value against: types, the framework, what already exists."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from imroc.models import Challenge, Cycle, Framework, LearningSet, ScaleLevel, Site, SiteKind
from imroc.models.action import ActionStatus, Outcome
from imroc.models.cycle import Stage
from imroc.models.user import EMAIL_PATTERN, Perspective, SiteRole
from imroc.services import frameworks
from imroc.services.data_io.layout import BOOL, DATE, DATETIME, DAYS, INT, Column, restore

STAGES = {s.value for s in Stage}
STATUSES = {s.value for s in ActionStatus}
OUTCOMES = {o.value for o in Outcome}
PERSPECTIVES = {p.value for p in Perspective}
ROLES = {r.value for r in SiteRole}
EMAIL = re.compile(EMAIL_PATTERN)
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


class Bad(ValueError):
    """A value that cannot be used; the message says why in plain words."""


def convert(column: Column, raw: Any) -> Any:
    """A cell's value as the column's type, or Bad."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if column.required:
            raise Bad(f"Enter the {column.header.lower()}")
        return None
    if column.kind == INT:
        return _int(raw)
    if column.kind == DAYS:
        return _days(raw)
    if column.kind == DATE:
        return _date(raw)
    if column.kind == DATETIME:
        return _datetime(raw)
    if column.kind == BOOL:
        word = str(raw).strip().lower()
        if isinstance(raw, bool) or word in YES | NO:
            return raw if isinstance(raw, bool) else word in YES
        raise Bad("Must be Yes or No")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    value = restore(str(raw)) if not isinstance(raw, (datetime, date)) else raw.isoformat()
    if column.max_length and len(value) > column.max_length:
        raise Bad(f"Must be {column.max_length} characters or fewer")
    return value


def _days(raw: Any) -> Decimal:
    """Whole or half days (a spreadsheet's number or typed text)."""
    text = str(raw).strip() if not isinstance(raw, bool) else ""
    if not re.fullmatch(r"\d{1,4}(\.\d{1,9})?", text) or (Decimal(text) * 2) % 1:
        raise Bad("Must be a number of whole or half days, like 3 or 2.5")
    return Decimal(text).normalize() + 0


def _int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise Bad("Must be a whole number")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise Bad("Must be a whole number")
        raw = int(raw)
    if isinstance(raw, str):
        if not re.fullmatch(r"\s*-?\d{1,9}\s*", raw):
            raise Bad("Must be a whole number")
        raw = int(raw)
    if not isinstance(raw, int) or not -1_000_000 < raw < 1_000_000:
        raise Bad("Must be a whole number")
    return raw


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise Bad("Must be a real date, like 2024-03-31 or 31/03/2024")


def _datetime(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        # A spreadsheet keeps a time as a fraction of a day: back to the nearest second.
        value = (raw + timedelta(microseconds=500_000)).replace(microsecond=0)
    elif isinstance(raw, date):
        value = datetime(raw.year, raw.month, raw.day)
    else:
        try:
            value = datetime.fromisoformat(str(raw).strip())
        except ValueError:
            raise Bad("Must be a date and time, like 2024-03-31 14:30:00") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class Known:
    """What the database already holds that a file is checked against (a few queries)."""

    sites: dict[str, int]                       # name -> id
    uids: dict[str, tuple[int, str]]            # uid -> (id, name)
    kinds: dict[str, int]                       # code -> default consultancy days
    learning_sets: set[str]
    frameworks: dict[str, int]                  # version -> id
    current_framework: int
    levels: dict[int, set[int]]
    challenges: dict[int, set[int]]
    cycles: dict[tuple[int, int], date]         # (site id, number) -> started on
    open_sites: set[int]


def load_known(session: Session) -> Known:
    current = frameworks.current(session)
    levels: dict[int, set[int]] = {}
    for fid, level in session.exec(select(ScaleLevel.framework_id, ScaleLevel.level)):
        levels.setdefault(fid, set()).add(level)
    challenges: dict[int, set[int]] = {}
    for fid, number in session.exec(select(Challenge.framework_id, Challenge.number)):
        challenges.setdefault(fid, set()).add(number)
    cycles = session.exec(select(Cycle.site_id, Cycle.number, Cycle.stage,
                                 Cycle.started_on)).all()
    sites = session.exec(select(Site.id, Site.name, Site.uid)).all()
    return Known(
        sites={name: sid for sid, name, _ in sites},
        uids={uid: (sid, name) for sid, name, uid in sites},
        kinds=dict(session.exec(select(SiteKind.code, SiteKind.default_consultancy_days)).all()),
        learning_sets=set(session.exec(select(LearningSet.name)).all()),
        frameworks={v: i for i, v in session.exec(
            select(Framework.id, Framework.version).where(Framework.key == current.key)
            .order_by(col(Framework.id)))},
        current_framework=current.id, levels=levels, challenges=challenges,
        cycles={(s, n): started for s, n, _, started in cycles},
        open_sites={s for s, _, stage, _ in cycles if stage != Stage.closed.value})


def level_problem(known: Known, framework_id: int, level: int | None) -> str | None:
    if level is None:
        return None
    return frameworks.level_problem(known.levels.get(framework_id, set()), level)


def challenge_problem(known: Known, framework_id: int, number: int | None) -> str | None:
    allowed = known.challenges.get(framework_id, set())
    if number is not None and number not in allowed:
        return f"Must be a challenge number, 1 to {max(allowed) if allowed else 10}"
    return None


def email_problem(value: str | None) -> str | None:
    if value is None or not EMAIL.match(value.strip()):
        return "Must be an email address (an anonymised export cannot be imported)"
    return None
