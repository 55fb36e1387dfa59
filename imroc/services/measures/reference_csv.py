"""A measure's national reference series from a CSV file: checked line by line, then saved
as the whole series or not at all (it replaces the series held before).

The file has a header row naming its columns, in any order and any case: `period` (2025 or
2025-01-01 for a yearly survey measure), `value` (the national value), and optionally
`lower` and `upper` (the published range). A site's own band comes with its values instead
(the `band` column of the site's values file).
"""

import csv
from datetime import date

from pydantic import ValidationError
from sqlmodel import Session

from imroc import periods
from imroc.errors import Invalid
from imroc.models import Measure
from imroc.models.measure import ReferenceIn
from imroc.services.access import Principal, ensure_manage_reference
from imroc.services.measures import reference as national
from imroc.services.measures import values_csv
from imroc.services.measures.values_csv import MAX_ROWS, Problem, Report, number, open_csv

MAX_BYTES = values_csv.MAX_BYTES  # the same limit as a site's values file

OPTIONAL = ("lower", "upper")


def read(measure: Measure, raw: bytes) -> tuple[list[ReferenceIn], list[int], list[Problem]]:
    """The national points in the file, the file line of each, and every problem found."""
    reader, header, stop = open_csv(raw, ("period", "value"))
    if stop:
        return [], [], stop
    where = {n: header.index(n) for n in ("period", "value", *OPTIONAL) if n in header}
    points: list[ReferenceIn] = []
    lines: list[int] = []
    problems: list[Problem] = []
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(points) + len(problems) >= MAX_ROWS:
                problems.append(Problem(line, "", "", f"The file has more than {MAX_ROWS} rows"))
                break
            cell = {name: (cells[i] if i < len(cells) else "") for name, i in where.items()}
            try:
                period = periods.parse(cell["period"], measure.frequency)
            except ValueError as exc:
                problems.append(Problem(line, "period", cell["period"], str(exc)))
                continue
            before = len(problems)
            numbers = {c: number(cell.get(c, ""), c, line, problems)
                       for c in ("value", *OPTIONAL)}
            if numbers["value"] is None and len(problems) == before:
                problems.append(Problem(line, "value", "", "Enter the national value"))
            if len(problems) > before:
                continue
            try:
                points.append(ReferenceIn(period=period, **numbers))
                lines.append(line)
            except ValidationError as exc:
                for error in exc.errors():
                    column = str(error["loc"][0])
                    problems.append(Problem(line, column, cell.get(column, ""), error["msg"]))
    except csv.Error as exc:
        problems.append(Problem(reader.line_num, "", "", f"The line cannot be read: {exc}"))
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
