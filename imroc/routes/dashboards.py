"""Dashboards: a site's, a learning set's (with presentation mode), the programme's."""

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, LearningSetDep, SiteDep
from imroc.errors import Invalid, NotFound
from imroc.services import (
    access,
    consensus,
    consultancy,
    frameworks,
    learning_sets,
    objectives,
    sites,
)
from imroc.services import anonymise as anonymise_rule
from imroc.services.dashboards import aggregates as dashboards
from imroc.services.dashboards.charts import Chart, programme_charts, set_charts, site_charts
from imroc.validation import MAX_INT
from imroc.web.downloads import chart_csv
from imroc.web.page_cache import kept_page
from imroc.web.routing import Router
from imroc.web.sections import STAGE_NAMES

router = Router()


def _pick(charts: list[Chart], name: str) -> Chart:
    chart = next((c for c in charts if c.name == name), None)
    if chart is None:
        raise NotFound("There is no chart of that name on this dashboard")
    return chart


@router.get("/sites/{site_id}/dashboard")
def site_dashboard(request: Request, session: SessionDep, site: SiteDep,
                   chart: str | None = Query(default=None, max_length=40)):
    csv_base = f"/sites/{site.id}/dashboard"

    def build() -> dict:
        data = dashboards.site_dashboard(session, site=site)
        names = frameworks.short_titles(session)
        return {"d": data, "charts": site_charts(data, names, frameworks.scale_names(session)),
                "labels": names, "site": site,
                "objectives": objectives.summary(session, site_ids=[site.id]),
                "history": consensus.history(session, site=site)[1], "csv_base": csv_base}

    if chart:
        return chart_csv(_pick(build()["charts"], chart), f"site-{site.id}-{chart}")
    return kept_page(request, session, key=("site", site.id),
                     body_template="dashboards/_site_body.html", build=build,
                     page_template="dashboards/site.html", page={"site": site})


def _set_builder(session: Session, ls, anonymise: bool) -> Callable[[], dict]:
    def build() -> dict:
        data = dashboards.learning_set_dashboard(session, ls=ls)
        names = anonymise_rule.site_names(data.sites, anonymise, ls.letter_seed)
        data.sites = anonymise_rule.in_name_order(data.sites, names)
        # Progress meeting by meeting: the cycles tied to each meeting, of the sites shown.
        meeting_rows = [(m, [mc for mc in data.by_meeting.get(m.id, []) if mc.site.id in names])
                        for m in data.meetings]
        return {"d": data, "names": names, "ls": ls, "anonymise": anonymise,
                "meeting_rows": meeting_rows, "titles": frameworks.short_titles(session),
                "objectives": objectives.summary(session, site_ids=[s.id for s in data.sites],
                                                 learning_set_id=ls.id),
                "stage_names": STAGE_NAMES,
                "over": consultancy.over_rows(data.sites, names, links=not anonymise),
                "csv_base": f"/learning-sets/{ls.id}/dashboard",
                "charts": set_charts(data, frameworks.short_titles(session), names,
                                     frameworks.scale_names(session))}

    return build


@router.get("/learning-sets/{learning_set_id}/dashboard")
def set_dashboard(request: Request, session: SessionDep, ls: LearningSetDep,
                  principal: CurrentPrincipal, anonymise: bool = False, shuffled: bool = False,
                  chart: str | None = Query(default=None, max_length=40)):
    build = _set_builder(session, ls, anonymise)
    if chart:
        return chart_csv(_pick(build()["charts"], chart), f"learning-set-{ls.id}-{chart}")
    return kept_page(request, session, key=("set", ls.id, anonymise),
                     body_template="dashboards/_learning_set_body.html", build=build,
                     page_template="dashboards/learning_set.html", page={
                         "ls": ls, "anonymise": anonymise, "shuffled": shuffled,
                         "can_shuffle": principal.is_programme})


@router.post("/learning-sets/{learning_set_id}/letters")
def shuffle_letters(session: SessionDep, principal: CurrentPrincipal,
                    ls: LearningSetDep) -> Response:
    """Draw a new order for the letters that hide the set's site names (programme team)."""
    learning_sets.shuffle_letters(session, ls=ls, principal=principal)
    return RedirectResponse(f"/learning-sets/{ls.id}/dashboard?anonymise=true&shuffled=true",
                            status_code=303)


@router.get("/learning-sets/{learning_set_id}/present")
def present(request: Request, session: SessionDep, ls: LearningSetDep,
            anonymise: bool = False):
    """Presentation mode for a meeting: one chart per screen, no edit controls."""
    return kept_page(request, session, key=("present", ls.id, anonymise),
                     body_template="dashboards/_present_slides.html",
                     build=_set_builder(session, ls, anonymise),
                     page_template="dashboards/present.html",
                     page={"ls": ls, "anonymise": anonymise})


@router.get("/programme")
def programme(request: Request, session: SessionDep, principal: CurrentPrincipal,
              kind: str | None = Query(default=None, max_length=40),
              learning_set: str | None = Query(default=None, alias="learning_set_id",
                                               max_length=12),
              region: str | None = Query(default=None, max_length=100),
              chart: str | None = Query(default=None, max_length=40)):
    access.ensure_manage_sites(principal)  # the programme team's view
    # The filter form sends an empty value for "all learning sets".
    learning_set_id = int(learning_set) if learning_set and learning_set.isdigit() \
        and 0 < int(learning_set) <= MAX_INT else None
    if learning_set and learning_set_id is None:
        raise Invalid({"learning_set_id": "Select a learning set from the list"})
    filters = {"kind": kind or "", "learning_set_id": learning_set_id or "",
               "region": region or ""}

    def build() -> dict:
        data = dashboards.programme_comparison(session, kind=kind or None,
                                               learning_set_id=learning_set_id,
                                               region=region or None)
        regions = sorted({s.region for s in sites.list_sites(session, principal=principal)
                          if s.region})
        kinds = sites.list_kinds(session)
        site_ids = [s.id for s in data.sites]
        groups = objectives.by_group(session, site_ids=site_ids, learning_set_id=learning_set_id)
        return {"d": data, "charts": programme_charts(data, frameworks.short_titles(session),
                                                      frameworks.scale_names(session)),
                "over": consultancy.over_rows(data.sites),
                "consultancy_totals": consultancy.totals(session),
                "objectives": objectives.summary(session, site_ids=site_ids,
                                                 learning_set_id=learning_set_id),
                "titles": frameworks.short_titles(session),
                "by_kind": [(k.label, groups["kind"][k.code]) for k in kinds
                            if k.code in groups["kind"]],
                "by_set": sorted(((data.set_names.get(i, "No learning set") if i else
                                   "No learning set", c) for i, c in groups["set"].items()),
                                 key=lambda row: row[0]),
                "kinds": kinds, "regions": regions, "filters": filters,
                "csv_query": urlencode({k: v for k, v in filters.items() if v})}

    if chart:
        return chart_csv(_pick(build()["charts"], chart), f"programme-{chart}")
    return kept_page(request, session,
                     key=("programme", kind or None, learning_set_id, region or None),
                     body_template="dashboards/_programme_body.html", build=build,
                     page_template="dashboards/programme.html")
