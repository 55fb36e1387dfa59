"""Defining measures (core and local) and the programme's summary of every core measure."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, LearningSetDep, PathId, SiteDep
from imroc.errors import Conflict, Invalid
from imroc.models import Measure, Site
from imroc.models.measure import (
    CHART_LABELS,
    DIRECTION_LABELS,
    FREQUENCY_LABELS,
    KIND_LABELS,
    MeasureIn,
    MeasureUpdate,
)
from imroc.services import access, anonymise, frameworks, learning_sets, sites
from imroc.services.measures import charts as measure_charts
from imroc.services.measures import definitions as measures
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.routing import Router

router = Router()
NEW_INPUTS = ("name", "definition", "kind", "unit", "numerator_label", "denominator_label",
              "scale", "direction", "target", "frequency", "chart", "baseline_points", "starts_on")
EDIT_INPUTS = ("name", "definition", "unit", "numerator_label", "denominator_label", "scale",
               "direction", "target", "chart", "baseline_points", "version")
TEXT = ("definition", "unit", "numerator_label", "denominator_label")


def _form(request, session, *, site, measure=None, values=None, errors=None, conflict=None,
          status=200) -> Response:
    errors = errors or {}
    return render(request, "measures/form.html", {
        "site": site, "measure": measure, "values": values or {"scale": "1", "chart": "xmr",
                                                                "frequency": "monthly"},
        "errors": errors, "error_list": error_list(errors), "conflict": conflict,
        "titles": frameworks.short_titles(session), "kind_labels": KIND_LABELS,
        "direction_labels": DIRECTION_LABELS, "frequency_labels": FREQUENCY_LABELS,
        "chart_labels": CHART_LABELS}, status_code=status)


def _challenges(form) -> list[str]:
    return [v for v in form.getlist("challenges") if isinstance(v, str)]


def _create(request, session, principal, form, site: Site | None) -> Response:
    values = fields(form, *NEW_INPUTS) | {"challenges": _challenges(form)}
    data = {k: ("" if v is None and k in TEXT else v) for k, v in values.items()}
    try:
        measure = measures.create_measure(session, principal=principal, data=parse(
            MeasureIn, data | {"site_id": site.id if site else None}))
    except Invalid as exc:
        return _form(request, session, site=site, values=values, errors=exc.errors, status=422)
    where = f"/sites/{site.id}/measures/{measure.id}" if site else "/programme/measures"
    return RedirectResponse(where, status_code=303)


@router.get("/sites/{site_id}/measures/new")
def local_new(request: Request, session: SessionDep, principal: CurrentPrincipal,
              site: SiteDep) -> Response:
    access.ensure_manage_measure(principal, site)
    return _form(request, session, site=site)


@router.post("/sites/{site_id}/measures/new")
def local_create(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 site: SiteDep, form: Form) -> Response:
    access.ensure_manage_measure(principal, site)
    return _create(request, session, principal, form, site)


@router.get("/programme/measures/new")
def core_new(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    access.ensure_manage_measure(principal, None)
    return _form(request, session, site=None)


@router.post("/programme/measures/new")
def core_create(request: Request, session: SessionDep, principal: CurrentPrincipal,
                form: Form) -> Response:
    access.ensure_manage_measure(principal, None)
    return _create(request, session, principal, form, None)


def _owner(session, measure: Measure) -> Site | None:
    return session.get(Site, measure.site_id) if measure.site_id is not None else None


@router.get("/measures/{measure_id}/edit")
def edit(request: Request, session: SessionDep, principal: CurrentPrincipal,
         measure_id: PathId) -> Response:
    measure = measures.get_measure(session, measure_id=measure_id, principal=principal)
    site = _owner(session, measure)
    access.ensure_manage_measure(principal, site)
    values = {k: getattr(measure, k) for k in EDIT_INPUTS}
    values["challenges"] = [str(n) for n in measures.challenges_of(session, [measure.id])[measure.id]]
    return _form(request, session, site=site, measure=measure, values=values)


@router.post("/measures/{measure_id}/edit")
def update(request: Request, session: SessionDep, principal: CurrentPrincipal,
           measure_id: PathId, form: Form) -> Response:
    measure = measures.get_measure(session, measure_id=measure_id, principal=principal)
    site = _owner(session, measure)
    access.ensure_manage_measure(principal, site)
    values = fields(form, *EDIT_INPUTS) | {"challenges": _challenges(form)}
    data = {k: ("" if v is None and k in TEXT else v) for k, v in values.items()}
    data["archived"] = form.get("archived") == "true"
    try:
        measures.update_measure(session, measure=measure, principal=principal,
                                data=parse(MeasureUpdate, data))
    except Invalid as exc:
        return _form(request, session, site=site, measure=measure, values=values,
                     errors=exc.errors, status=422)
    except Conflict as exc:
        return _form(request, session, site=site, measure=measure, values=values | {
            "version": exc.current.version}, conflict=exc.current, status=409)
    where = f"/sites/{site.id}/measures/{measure.id}" if site else "/programme/measures"
    return RedirectResponse(where, status_code=303)


# --- summaries -----------------------------------------------------------------------------

def _summary(session, site_list: list[Site]) -> dict:
    core = measures.core_measures(session)
    return {"core": core, "cells": measure_charts.summary(session, sites=site_list, measures=core)}


@router.get("/programme/measures")
def programme_measures(request: Request, session: SessionDep,
                       principal: CurrentPrincipal) -> Response:
    """Every core measure against every site, with both icons (the programme team)."""
    access.ensure_manage_measure(principal, None)
    site_list = sites.list_sites(session, principal=principal)
    archived = measures.archived_core_measures(session)
    return render(request, "measures/summary.html", {
        **_summary(session, site_list), "rows": [(s, s.name, s.id) for s in site_list],
        "archived": archived, "programme": True, "heading": "Core measures across the programme"})


@router.get("/learning-sets/{learning_set_id}/measures")
def learning_set_measures(request: Request, session: SessionDep, principal: CurrentPrincipal,
                          ls: LearningSetDep) -> Response:
    """The same table for one learning set, with the sites anonymised (Site A, B, C...)."""
    site_list = learning_sets.list_set_sites(session, ls=ls, include_archived=False)
    # Lettered as on the learning set's dashboard, so Site A is the same site, and listed in
    # letter order.
    names = anonymise.site_names(site_list, True, ls.letter_seed)
    rows = [(s, names[s.id], None) for s in anonymise.in_name_order(site_list, names)]
    return render(request, "measures/summary.html", {
        **_summary(session, site_list), "rows": rows, "ls": ls, "programme": False,
        "heading": f"Core measures in {ls.name}"})
