"""Dashboards: a site's, a learning set's (with presentation mode), the programme's."""

import csv
import io
import string
from collections import OrderedDict
from threading import Lock

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from imroc.db import SessionDep
from imroc.validation import MAX_INT
from imroc.deps import CurrentPrincipal, LearningSetDep, SiteDep
from imroc.errors import Invalid, NotFound
from imroc.services import access, consensus, dashboards, frameworks, sites
from imroc.services.dashboard_views import Chart, programme_charts, set_charts, site_charts
from imroc.templating import render

router = APIRouter()
_CACHE: OrderedDict[tuple, dict] = OrderedDict()
_CACHE_LOCK = Lock()
CACHE_SIZE = 512


def _cached(key: tuple, build) -> dict:  # noqa: ANN001
    """Dashboard contents built once per data version: nothing is rebuilt until a write."""
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    built = build()
    with _CACHE_LOCK:
        _CACHE[key] = built
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built


def csv_download(chart: Chart, filename: str) -> Response:
    """The chart's numbers as CSV; cells that a spreadsheet would run as formulas are defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(chart.table.columns)
    for row in chart.table.rows:
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@\t\r" else v
                         for v in row])
    safe = "".join(ch for ch in filename if ch in string.ascii_letters + string.digits + "-_")
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{safe}.csv"'})


def _pick(charts: list[Chart], name: str) -> Chart:
    chart = next((c for c in charts if c.name == name), None)
    if chart is None:
        raise NotFound("There is no chart of that name on this dashboard")
    return chart


@router.get("/sites/{site_id}/dashboard")
def site_dashboard(request: Request, session: SessionDep, principal: CurrentPrincipal,
                   site: SiteDep, chart: str | None = Query(default=None, max_length=40)):
    def build() -> dict:
        data = dashboards.site_dashboard(session, site=site)
        names = frameworks.short_titles(session)
        return {"d": data, "charts": site_charts(data, names), "labels": names,
                "history": consensus.history(session, site=site)[1]}

    context = _cached(("site", site.id, dashboards.data_version(session)), build)
    if chart:
        return csv_download(_pick(context["charts"], chart), f"site-{site.id}-{chart}")
    return render(request, "dashboards/site.html", {
        **context, "site": site, "csv_base": f"/sites/{site.id}/dashboard"})


def _set_names(d: dashboards.SetDashboard, anonymise: bool) -> dict[int, str]:
    if not anonymise:
        return {s.id: s.name for s in d.sites}
    letters = string.ascii_uppercase
    return {s.id: "Site " + (letters[i] if i < 26 else f"{letters[i // 26 - 1]}{letters[i % 26]}")
            for i, s in enumerate(d.sites)}


def _set_context(session: Session, ls, anonymise: bool) -> dict:  # noqa: ANN001
    def build() -> dict:
        data = dashboards.learning_set_dashboard(session, ls=ls)
        names = _set_names(data, anonymise)
        return {"d": data, "names": names, "charts": set_charts(data, frameworks.short_titles(session), names)}

    return _cached(("set", ls.id, anonymise, dashboards.data_version(session)), build)


@router.get("/learning-sets/{learning_set_id}/dashboard")
def set_dashboard(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  ls: LearningSetDep, anonymise: bool = False,
                  chart: str | None = Query(default=None, max_length=40)):
    context = _set_context(session, ls, anonymise)
    if chart:
        return csv_download(_pick(context["charts"], chart), f"learning-set-{ls.id}-{chart}")
    return render(request, "dashboards/learning_set.html", {
        **context, "ls": ls, "anonymise": anonymise,
        "csv_base": f"/learning-sets/{ls.id}/dashboard"})


@router.get("/learning-sets/{learning_set_id}/present")
def present(request: Request, session: SessionDep, principal: CurrentPrincipal,
            ls: LearningSetDep, anonymise: bool = False):
    """Presentation mode for a meeting: one chart per screen, no edit controls."""
    context = _set_context(session, ls, anonymise)
    return render(request, "dashboards/present.html", {**context, "ls": ls,
                                                        "anonymise": anonymise})


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
    def build() -> dict:
        data = dashboards.programme_comparison(session, kind=kind or None,
                                               learning_set_id=learning_set_id,
                                               region=region or None)
        return {"d": data, "charts": programme_charts(data, frameworks.short_titles(session))}

    context = _cached(("programme", kind, learning_set_id, region,
                       dashboards.data_version(session)), build)
    if chart:
        return csv_download(_pick(context["charts"], chart), f"programme-{chart}")
    regions = sorted({s.region for s in sites.list_sites(session, principal=principal)
                      if s.region})
    return render(request, "dashboards/programme.html", {
        **context, "kinds": sites.list_kinds(session), "regions": regions,
        "filters": {"kind": kind or "", "learning_set_id": learning_set_id or "",
                    "region": region or ""},
        "csv_query": request.url.query})
