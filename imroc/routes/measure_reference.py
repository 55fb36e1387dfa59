"""A measure's national reference series: typed on a page or imported from a CSV file (the
programme team), and the survey measures compared across sites."""

from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from imroc import periods
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, MeasureDep
from imroc.errors import Invalid
from imroc.models import Measure
from imroc.models.measure import BAND_LABELS, ReferenceSeriesIn
from imroc.services import access, sites
from imroc.services.measures import reference as national
from imroc.services.measures import reference_csv
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form as FormData
from imroc.web.forms import error_list
from imroc.web.routing import Router

router = Router()
BLANK_ROWS = 3
COLUMNS = ("period", "value", "lower", "upper")


def _number(v: float | None) -> str:
    return "" if v is None else (str(int(v)) if float(v).is_integer() else str(v))


def _page(request, session, measure: Measure, *, rows=None, errors=None, report=None,
          check_only=False, status=200) -> Response:
    errors = errors or {}
    if rows is None:
        rows = [{"period": periods.label(p.period_start, measure.frequency) if
                 measure.frequency == "yearly" else p.period_start.isoformat(),
                 "value": _number(p.value), "lower": _number(p.lower), "upper": _number(p.upper)}
                for p in national.list_reference(session, measure=measure)]
        rows += [dict.fromkeys(COLUMNS, "") for _ in range(BLANK_ROWS)]
    return render(request, "measures/reference.html", {
        "measure": measure, "rows": rows, "errors": errors, "error_list": error_list(errors),
        "report": report, "check_only": check_only}, status_code=status)


@router.get("/measures/{measure_id}/reference")
def reference_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                   measure: MeasureDep) -> Response:
    access.ensure_manage_reference(principal)
    return _page(request, session, measure)


@router.post("/measures/{measure_id}/reference")
def reference_save(request: Request, session: SessionDep, principal: CurrentPrincipal,
                   measure: MeasureDep, form: FormData) -> Response:
    """Replace the series with the rows typed; blank rows are left out."""
    access.ensure_manage_reference(principal)
    count = min(int(form.get("rows") or 0) if str(form.get("rows") or "").isdigit() else 0, 500)
    rows = [{c: str(form.get(f"{c}_{i}") or "").strip() for c in COLUMNS} for i in range(count)]
    kept = [(i, r) for i, r in enumerate(rows) if any(r.values())]
    errors: dict[str, str] = {}
    points = []
    for i, row in kept:
        try:
            period = periods.parse(row["period"], measure.frequency).isoformat()
        except ValueError as exc:
            errors[f"period_{i}"] = f"Row {i + 1}: the period {exc}"
            continue
        points.append((i, {"period": period} | {
            c: row[c] or None for c in ("value", "lower", "upper")}))
    try:
        if errors:
            raise Invalid(errors)
        data = parse(ReferenceSeriesIn, {"points": [p for _, p in points]})
        national.replace_reference(session, measure=measure, points=data.points,
                                   principal=principal)
    except Invalid as exc:
        for key, reason in exc.errors.items():
            if key.startswith("points."):
                _, n, name = (key.split(".") + ["value"])[:3]
                row = points[int(n)][0]
                errors[f"{name}_{row}"] = f"Row {row + 1}: {reason}"
            elif key not in errors:
                errors[key] = reason
        return _page(request, session, measure, rows=rows, errors=errors, status=422)
    return RedirectResponse(f"/measures/{measure.id}/reference", status_code=303)


@router.post("/measures/{measure_id}/reference/import")
def reference_import(request: Request, session: SessionDep, principal: CurrentPrincipal,
                     measure: MeasureDep, file: Annotated[UploadFile | None, File()] = None,
                     check_only: Annotated[str | None, Form()] = None) -> Response:
    access.ensure_manage_reference(principal)
    raw = file.file.read(reference_csv.MAX_BYTES + 1) if file is not None else b""
    if not raw:
        errors = {"file": "Select a CSV file to import"}
        return _page(request, session, measure, errors=errors, check_only=bool(check_only),
                     status=422)
    report = reference_csv.import_reference(session, measure=measure, raw=raw,
                                            principal=principal, dry_run=bool(check_only))
    return _page(request, session, measure, report=report, check_only=bool(check_only),
                 status=422 if report.problems else 200)


@router.get("/programme/survey-measures")
def survey_measures(request: Request, session: SessionDep,
                    principal: CurrentPrincipal) -> Response:
    """Each measure with a national series: every site's latest value, the national value of
    that period and the survey's band (the programme team)."""
    access.ensure_manage_reference(principal)
    site_list = sites.list_sites(session, principal=principal)
    tables = national.survey_tables(session, sites=site_list)
    return render(request, "measures/survey.html", {
        "tables": tables, "sites": site_list, "band_labels": BAND_LABELS})
