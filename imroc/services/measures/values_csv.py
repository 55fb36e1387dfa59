"""Values of a measure from a CSV file: checked line by line, then saved all together or not
at all. A value already saved for a period is replaced (the audit trail keeps the old one).

The file has a header row naming its columns, in any order and any case:
`period` (2025-03-01, or 2025-03 for monthly and quarterly measures), then `value` for a
count or average, or `numerator` and `denominator` for a ratio, and optionally `note`, and
for survey measures `band` (better, about_same or worse: where the survey placed the site).
"""

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError
from sqlmodel import Session, col, select

from imroc import periods
from imroc.errors import Invalid
from imroc.models import DataPoint, Measure, Site
from imroc.models.measure import MAX_VALUE, PointIn
from imroc.services.access import Principal, ensure_enter_data
from imroc.services.data_io import import_files
from imroc.services.measures import values as measure_data

MAX_BYTES = 1_000_000
MAX_ROWS = 5_000


@dataclass(frozen=True)
class Problem:
    row: int  # the line of the file (the header is line 1)
    column: str
    value: str
    reason: str


@dataclass
class Report:
    rows: int = 0
    new: int = 0
    replaced: int = 0
    problems: list[Problem] = field(default_factory=list)
    saved: bool = False


def _columns(measure: Measure) -> tuple[str, ...]:
    return ("numerator", "denominator") if measure.kind == "ratio" else ("value",)


def number(text: str, column: str, line: int, problems: list[Problem]) -> float | None:
    if not text.strip():
        return None
    try:
        amount = float(text.strip().replace(",", ""))
    except ValueError:
        problems.append(Problem(line, column, text, "must be a number"))
        return None
    if not math.isfinite(amount) or abs(amount) > MAX_VALUE:
        problems.append(Problem(line, column, text, "must be a finite number below a trillion"))
        return None
    return amount


def open_csv(raw: bytes, needed: tuple[str, ...]
             ) -> tuple[Iterator[list[str]], list[str], list[Problem]]:
    """The file's rows after its header, the header (lower case), and what stops it being
    read at all: too large, not text, an unreadable header or a needed column missing."""
    if len(raw) > MAX_BYTES:
        return iter(()), [], [Problem(0, "", "", f"The file is larger than {MAX_BYTES // 1000} KB")]
    try:
        text = import_files.decode_text(raw)
    except Invalid as exc:
        return iter(()), [], [Problem(0, "", "", exc.errors["file"])]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        return iter(()), [], [Problem(1, "", "", f"The header row cannot be read: {exc}")]
    return reader, header, [Problem(1, c, "", "This column is missing from the header row")
                            for c in needed if c not in header]


def period_rows(raw: bytes, frequency: str, needed: tuple[str, ...], optional: tuple[str, ...],
                problems: list[Problem]) -> Iterator[tuple[int, dict[str, str], date]]:
    """Each filled line of a measure's file: its line number, its cells by column name and its
    period. What stops the file or a line being read goes into `problems` on the way (size,
    text, header, too many rows, a period that is not one, a line the CSV reader cannot read)."""
    reader, header, stop = open_csv(raw, ("period", *needed))
    if stop:
        problems.extend(stop)
        return
    where = {name: header.index(name) for name in ("period", *needed, *optional) if name in header}
    filled = 0
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if filled >= MAX_ROWS:
                problems.append(Problem(line, "", "", f"The file has more than {MAX_ROWS} rows"))
                return
            filled += 1
            cell = {name: (cells[i] if i < len(cells) else "") for name, i in where.items()}
            try:
                period = periods.parse(cell["period"], frequency)
            except ValueError as exc:
                problems.append(Problem(line, "period", cell["period"], str(exc)))
                continue
            yield line, cell, period
    except csv.Error as exc:
        problems.append(Problem(reader.line_num, "", "", f"The line cannot be read: {exc}"))


def field_problems(exc: ValidationError, line: int, cell: dict[str, str],
                   problems: list[Problem], renamed: dict[str, str] | None = None) -> None:
    """One problem per field a line's point was refused for, named as the file's column."""
    for error in exc.errors():
        column = str(error["loc"][0])
        column = (renamed or {}).get(column, column)
        problems.append(Problem(line, column, cell.get(column, ""), error["msg"]))


def read(measure: Measure, raw: bytes) -> tuple[list[PointIn], list[int], list[Problem]]:
    """The points in the file, the file line of each, and every problem found."""
    points: list[PointIn] = []
    lines: list[int] = []
    problems: list[Problem] = []
    for line, cell, period in period_rows(raw, measure.frequency, _columns(measure),
                                          ("note", "band"), problems):
        before = len(problems)
        numbers = {c: number(cell[c], c, line, problems) for c in _columns(measure)}
        if len(problems) > before:
            continue
        try:
            points.append(PointIn(period=period, annotation=cell.get("note", "").strip(),
                                  band=cell.get("band", "").strip() or None, **numbers))
            lines.append(line)
        except ValidationError as exc:
            field_problems(exc, line, cell, problems, {"annotation": "note"})
    return points, lines, problems


def import_points(session: Session, *, site: Site, measure: Measure, raw: bytes,
                  principal: Principal, dry_run: bool, today: date | None = None) -> Report:
    """Check the file; unless it is a dry run and if nothing is wrong, save every row."""
    ensure_enter_data(principal, site)
    points, lines, problems = read(measure, raw)
    report = Report(rows=len(points) + len({p.row for p in problems if p.row > 1}))
    if points:
        try:
            measure_data.check_points(measure, points, today)
        except Invalid as exc:
            for key, reason in exc.errors.items():
                _, index, name = key.split(".")
                column = {"annotation": "note"}.get(name, name)
                point = points[int(index)]
                problems.append(Problem(lines[int(index)], column,
                                        str(getattr(point, name, "") or ""), reason))
    if not points and not problems:
        problems.append(Problem(0, "", "", "The file has no rows of values"))
    report.problems = sorted(problems, key=lambda p: (p.row, p.column))
    existing = {p.period_start: p.version for p in session.exec(select(DataPoint).where(
        DataPoint.measure_id == measure.id, DataPoint.site_id == site.id,
        col(DataPoint.period_start).in_([p.period for p in points]))).all()}
    report.replaced = sum(1 for p in points if p.period in existing)
    report.new = len(points) - report.replaced
    if report.problems or dry_run:
        return report
    stamped = [p.model_copy(update={"version": existing.get(p.period)}) for p in points]
    measure_data.save_points(session, site=site, measure=measure, points=stamped,
                             principal=principal, today=today)
    report.saved = True
    return report
