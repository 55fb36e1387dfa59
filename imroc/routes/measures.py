"""A site's measures: the list with what is due, each measure's chart, and its values."""

from datetime import date
from typing import Annotated

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from imroc import clock, periods
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, SiteDep, SiteMeasureDep
from imroc.errors import Conflict, Invalid, NotFound
from imroc.models import DataPoint, Measure
from imroc.models.measure import BAND_LABELS, DIRECTION_LABELS, KIND_LABELS, PointIn
from imroc.services import access, frameworks
from imroc.services.measures import charts as measure_charts
from imroc.services.measures import definitions as measures
from imroc.services.measures import values as measure_data
from imroc.services.measures import values_csv as measure_import
from imroc.templating import render
from imroc.validation import parse
from imroc.web.downloads import chart_csv
from imroc.web.forms import Form as FormData
from imroc.web.forms import error_list
from imroc.web.routing import Router

router = Router()


@router.get("/sites/{site_id}/measures")
def site_measures(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  site: SiteDep) -> Response:
    rows = measures.site_measures(session, site=site)
    due = measure_data.due(session, site=site, measures=rows)
    cells = measure_charts.summary(session, sites=[site], measures=rows)
    return render(request, "measures/site.html", {
        "site": site, "items": [(d, cells[(site.id, d.measure.id)]) for d in due],
        "can_add": access.can_manage_measure(principal, site),
        "can_enter": access.is_group_member(principal, site)})


@router.get("/sites/{site_id}/measures/{measure_id}")
def measure_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 site: SiteDep, measure: SiteMeasureDep,
                 chart: str | None = Query(default=None, max_length=40)) -> Response:
    links = measures.challenges_of(session, [measure.id])[measure.id]
    analysis = measure_charts.analyse(session, site=site, measure=measure, challenges=links)
    figure = analysis.chart()
    if chart:
        if chart != "spc" or figure is None:
            raise NotFound("There is no chart of that name for this measure")
        return chart_csv(figure, f"site-{site.id}-measure-{measure.id}")
    titles = frameworks.short_titles(session)
    return render(request, "measures/show.html", {
        "site": site, "measure": measure, "a": analysis, "chart": figure,
        "challenges": [(n, titles[n - 1]) for n in links], "kind_labels": KIND_LABELS,
        "direction_labels": DIRECTION_LABELS, "can_reference": principal.is_programme,
        "can_enter": access.is_group_member(principal, site) and not measure.archived,
        "can_edit": access.can_manage_measure(
            principal, site if measure.site_id is not None else None)})


# --- entering values -------------------------------------------------------------------

INPUTS = ("value", "numerator", "denominator", "annotation", "rebase", "band", "version")


def _grid_periods(measure: Measure, saved: dict[date, DataPoint]) -> list[date]:
    first = min([measure.starts_on, *saved])
    return periods.between(first, clock.today(), measure.frequency)


def _typed(form, iso: str) -> dict[str, str]:
    return {name: (form.get(f"{name}_{iso}") or "").strip() for name in INPUTS}


def _shown(point: DataPoint | None) -> dict[str, str]:
    """A saved value as the grid shows it in its boxes."""
    if point is None:
        return {name: "" for name in INPUTS}

    def number(v: float | None) -> str:
        return "" if v is None else (f"{v:g}" if abs(v) < 1e15 else repr(v))

    return {"value": number(point.value), "numerator": number(point.numerator),
            "denominator": number(point.denominator), "annotation": point.annotation,
            "rebase": "on" if point.rebase else "", "band": point.band or "",
            "version": str(point.version)}


def _changed(measure: Measure, typed: dict[str, str], point: DataPoint | None) -> bool:
    keys = ("numerator", "denominator") if measure.kind == "ratio" else ("value",)
    if point is None:
        return any(typed[k] for k in keys) or bool(typed["annotation"]) or bool(typed["band"])
    shown = _shown(point)
    same_numbers = all(_same(typed[k], shown[k]) for k in keys)
    return not (same_numbers and typed["annotation"] == shown["annotation"]
                and bool(typed["rebase"]) == point.rebase and typed["band"] == shown["band"])


def _same(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def _point(measure: Measure, iso: str, typed: dict[str, str]) -> PointIn:
    """One row of the grid as a value to save; Invalid names the row's own boxes."""
    keys = ("numerator", "denominator") if measure.kind == "ratio" else ("value",)
    data = {"period": iso, "annotation": typed["annotation"], "rebase": bool(typed["rebase"]),
            "band": typed["band"] or None,
            "version": typed["version"] or None, **{k: typed[k] or None for k in keys}}
    try:
        return parse(PointIn, data)
    except Invalid as exc:
        raise Invalid({f"{k}_{iso}": v for k, v in exc.errors.items()}) from None


def _grid(request, session, principal, site, measure, *, typed=None, errors=None,
          notes=None, status=200) -> Response:
    saved = {p.period_start: p for p in measure_data.list_points(session, site=site,
                                                                 measure=measure)}
    rows = []
    for start in _grid_periods(measure, saved):
        iso = start.isoformat()
        shown = (typed or {}).get(iso) or _shown(saved.get(start))
        rows.append({"iso": iso, "label": periods.label(start, measure.frequency),
                     "boxes": shown, "saved": saved.get(start),
                     "note": (notes or {}).get(iso)})
    errors = errors or {}
    return render(request, "measures/data.html", {
        "site": site, "measure": measure, "rows": rows, "errors": errors,
        "error_list": [{"text": f"{_label_of(k, measure)}: {v}", "href": f"#{k}"}
                       for k, v in errors.items()],
        "ratio": measure.kind == "ratio", "band_labels": BAND_LABELS}, status_code=status)


def _label_of(key: str, measure: Measure) -> str:
    name, _, iso = key.rpartition("_")
    try:
        return periods.label(date.fromisoformat(iso), measure.frequency)
    except ValueError:
        return name


@router.get("/sites/{site_id}/measures/{measure_id}/data")
def data_grid(request: Request, session: SessionDep, principal: CurrentPrincipal,
              site: SiteDep, measure: SiteMeasureDep) -> Response:
    access.ensure_enter_data(principal, site)
    return _grid(request, session, principal, site, measure)


def _collect(measure, form, saved, isos) -> tuple[dict, list[str], list[PointIn], dict]:
    typed, order, points, errors = {}, [], [], {}
    for iso in isos:
        row = _typed(form, iso)
        typed[iso] = row
        if not any(f"{name}_{iso}" in form for name in INPUTS):
            typed[iso] = None  # not in this form: left as it is
            continue
        if not _changed(measure, row, saved.get(date.fromisoformat(iso))):
            continue
        try:
            points.append(_point(measure, iso, row))
            order.append(iso)
        except Invalid as exc:
            errors |= exc.errors
    return typed, order, points, errors


def _save(session, principal, site, measure, order, points) -> dict[str, str]:
    """Save the rows; the errors by box name when any row is wrong (nothing saved then)."""
    try:
        measure_data.save_points(session, site=site, measure=measure, points=points,
                                 principal=principal)
    except Invalid as exc:
        named = {}
        for key, reason in exc.errors.items():
            _, index, name = key.split(".")
            named[f"{name}_{order[int(index)]}"] = reason
        return named
    return {}


@router.post("/sites/{site_id}/measures/{measure_id}/data")
def data_save(request: Request, session: SessionDep, principal: CurrentPrincipal,
              site: SiteDep, measure: SiteMeasureDep, form: FormData) -> Response:
    """Save every row that changed, all together; nothing is saved if one row is wrong."""
    access.ensure_enter_data(principal, site)
    saved = {p.period_start: p for p in measure_data.list_points(session, site=site,
                                                                 measure=measure)}
    isos = [p.isoformat() for p in _grid_periods(measure, saved)]
    typed, order, points, errors = _collect(measure, form, saved, isos)
    if not errors and points:
        try:
            errors = _save(session, principal, site, measure, order, points)
        except Conflict as exc:
            return _conflict_grid(request, session, principal, site, measure, typed, exc)
    if errors:
        return _grid(request, session, principal, site, measure, typed=typed, errors=errors,
                     status=422)
    return RedirectResponse(f"/sites/{site.id}/measures/{measure.id}?saved={len(points)}",
                            status_code=303)


def _conflict_grid(request, session, principal, site, measure, typed, exc) -> Response:
    """Keep what the person typed; show beside each row what is saved now, and take its
    current version, so that saving again is a choice made knowing both."""
    saved = {p.period_start.isoformat(): p for p in measure_data.list_points(
        session, site=site, measure=measure)}
    notes = {}
    for iso, row in typed.items():
        if row is None:
            continue
        point = saved.get(iso)
        row["version"] = str(point.version) if point else ""
        if point is not None and _changed(measure, row, point):
            notes[iso] = f"Saved now: {_shown(point)['value']}" + (
                f" ({point.annotation})" if point.annotation else "")
    return _grid(request, session, principal, site, measure, typed=typed,
                 errors={"grid": exc.message}, notes=notes, status=409)


@router.post("/sites/{site_id}/measures/{measure_id}/data/{period}")
def data_save_row(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  site: SiteDep, measure: SiteMeasureDep, period: date, form: FormData) -> Response:
    """One row, saved as soon as it changes (htmx): the answer is the row's status cell."""
    access.ensure_enter_data(principal, site)
    iso = period.isoformat()
    point = measure_data.get_point(session, site=site, measure=measure, period=period)
    row = _typed(form, iso)
    context = {"iso": iso, "label": periods.label(period, measure.frequency)}
    if not _changed(measure, row, point):
        return render(request, "measures/_status.html", {**context, "point": point,
                                                          "version": row["version"]})
    try:
        item = _point(measure, iso, row)
        errors = _save(session, principal, site, measure, [iso], [item])
    except Invalid as exc:
        errors = exc.errors
    except Conflict:
        session.expire_all()
        current = measure_data.get_point(session, site=site, measure=measure, period=period)
        return render(request, "measures/_status.html", {
            **context, "point": current, "conflict": _shown(current) if current else None,
            "version": str(current.version) if current else ""}, status_code=409)
    if errors:
        return render(request, "measures/_status.html", {
            **context, "point": point, "errors": list(errors.values()),
            "version": row["version"]}, status_code=422)
    saved = measure_data.get_point(session, site=site, measure=measure, period=period)
    return render(request, "measures/_status.html", {**context, "point": saved,
                                                      "version": str(saved.version),
                                                      "saved": True})


# --- importing values ------------------------------------------------------------------

@router.get("/sites/{site_id}/measures/{measure_id}/import")
def import_form(request: Request, session: SessionDep, principal: CurrentPrincipal,
                site: SiteDep, measure: SiteMeasureDep) -> Response:
    access.ensure_enter_data(principal, site)
    return render(request, "measures/import.html", {"site": site, "measure": measure,
                                                     "errors": {}, "error_list": []})


@router.post("/sites/{site_id}/measures/{measure_id}/import")
def import_file(request: Request, session: SessionDep, principal: CurrentPrincipal,
                      site: SiteDep, measure: SiteMeasureDep,
                      file: Annotated[UploadFile | None, File()] = None,
                      check_only: Annotated[str | None, Form()] = None) -> Response:
    access.ensure_enter_data(principal, site)
    context = {"site": site, "measure": measure, "check_only": bool(check_only)}
    raw = file.file.read(measure_import.MAX_BYTES + 1) if file is not None else b""
    if not raw:
        errors = {"file": "Select a CSV file to import"}
        return render(request, "measures/import.html", {
            **context, "errors": errors, "error_list": error_list(errors)}, status_code=422)
    try:
        report = measure_import.import_points(session, site=site, measure=measure, raw=raw,
                                              principal=principal, dry_run=bool(check_only))
    except Conflict as exc:
        errors = {"file": exc.message}
        return render(request, "measures/import.html", {
            **context, "errors": errors, "error_list": error_list(errors)}, status_code=409)
    return render(request, "measures/import.html", {
        **context, "report": report, "errors": {}, "error_list": []},
        status_code=422 if report.problems else 200)

