"""A measure's national reference series from a CSV file: checked line by line, then saved
as the whole series or not at all (it replaces the series held before).

The file has a header row naming its columns, in any order and any case: `period` (2025 or
2025-01-01 for a yearly survey measure), `value` (the national value), and optionally
`lower` and `upper` (the published range). A site's own band comes with its values instead
(the `band` column of the site's values file).
"""

from datetime import date

from pydantic import ValidationError
from sqlmodel import Session

from imroc.errors import Invalid
from imroc.models import Measure
from imroc.models.measure import ReferenceIn
from imroc.services.access import Principal, ensure_manage_reference
from imroc.services.measures import reference as national
from imroc.services.measures import values_csv
from imroc.services.measures.values_csv import (
    Problem,
    Report,
    field_problems,
    number,
    period_rows,
)

MAX_BYTES = values_csv.MAX_BYTES  # the same limit as a site's values file

OPTIONAL = ("lower", "upper")


def read(measure: Measure, raw: bytes) -> tuple[list[ReferenceIn], list[int], list[Problem]]:
    """The national points in the file, the file line of each, and every problem found."""
    points: list[ReferenceIn] = []
    lines: list[int] = []
    problems: list[Problem] = []
    for line, cell, period in period_rows(raw, measure.frequency, ("value",), OPTIONAL,
                                          problems):
        before = len(problems)
        numbers = {c: number(cell.get(c, ""), c, line, problems) for c in ("value", *OPTIONAL)}
        if numbers["value"] is None and len(problems) == before:
            problems.append(Problem(line, "value", "", "Enter the national value"))
        if len(problems) > before:
            continue
        try:
            points.append(ReferenceIn(period=period, **numbers))
            lines.append(line)
        except ValidationError as exc:
            field_problems(exc, line, cell, problems)
    return points, lines, problems


def import_reference(session: Session, *, measure: Measure, raw: bytes, principal: Principal,
                     dry_run: bool, today: date | None = None) -> Report:
    """Check the file; unless it is a dry run and if nothing is wrong, replace the series."""
    ensure_manage_reference(principal)
    points, lines, problems = read(measure, raw)
    report = Report(rows=len(points) + len({p.row for p in problems if p.row > 1}))
    if points:
        try:
            national.check_reference(measure, points, today)
        except Invalid as exc:
            for key, reason in exc.errors.items():
                _, index, name = key.split(".")
                point = points[int(index)]
                problems.append(Problem(lines[int(index)], name,
                                        str(getattr(point, name, "") or ""), reason))
    if not points and not problems:
        problems.append(Problem(0, "", "", "The file has no rows of values"))
    report.problems = sorted(problems, key=lambda p: (p.row, p.column))
    held = {p.period_start for p in national.list_reference(session, measure=measure)}
    report.replaced = sum(1 for p in points if p.period in held)
    report.new = len(points) - report.replaced
    if report.problems or dry_run:
        return report
    national.replace_reference(session, measure=measure, points=points, principal=principal,
                               today=today)
    report.saved = True
    return report
