"""Dashboards: a site's, a learning set's (with presentation mode), the programme's."""

import csv
import io
import string
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from threading import Lock
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlmodel import Session

from imroc import clock
from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, LearningSetDep, SiteDep
from imroc.errors import Invalid, NotFound
from imroc.services import access, consensus, dashboards, frameworks, sites
from imroc.services import anonymise as anonymise_rule
from imroc.services.dashboard_views import Chart, programme_charts, set_charts, site_charts
from imroc.templating import env, render
from imroc.validation import MAX_INT

router = APIRouter()


class BodyCache:
    """Rendered dashboard bodies, one per page and filters, each valid for one data version.

    The data version is the newest audit event's id and every write is audited, so a body is
    never served after the data under it has changed; the app still keeps no state that a
    request depends on. Only the newest version of each page is kept (older ones can never
    be asked for again), as one string, within a bound on entries and characters.
    """

    def __init__(self, entries: int = 256, chars: int = 32_000_000) -> None:
        self._items: OrderedDict[tuple, tuple[tuple, Markup, bool]] = OrderedDict()
        self._chars = 0
        self._lock = Lock()
        self.max_entries, self.max_chars = entries, chars

    def get(self, key: tuple, version: tuple, build: Callable[[], tuple[Markup, bool]]
            ) -> tuple[Markup, bool]:
        """The body for `key` at `version` (and whether it has charts), built if need be."""
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] == version:
                self._items.move_to_end(key)
                return found[1], found[2]
        body, has_charts = build()
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._chars -= len(old[1])
            self._items[key] = (version, body, has_charts)
            self._chars += len(body)
            while self._items and (len(self._items) > self.max_entries
                                   or self._chars > self.max_chars):
                _, (_, dropped, _) = self._items.popitem(last=False)
                self._chars -= len(dropped)
        return body, has_charts

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._chars = 0


_CACHE = BodyCache()


def _body(session: Session, key: tuple, template: str,
          build: Callable[[], dict]) -> tuple[Markup, bool]:
    """A dashboard's body for this data version (and day: overdue actions depend on it)."""
    def rendered() -> tuple[Markup, bool]:
        context = build()
        return Markup(env.get_template(template).render(context)), bool(context["charts"])

    version = (dashboards.data_version(session), clock.today())
    return _CACHE.get(key, version, rendered)


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
    csv_base = f"/sites/{site.id}/dashboard"

    def build() -> dict:
        data = dashboards.site_dashboard(session, site=site)
        names = frameworks.short_titles(session)
        return {"d": data, "charts": site_charts(data, names), "labels": names, "site": site,
                "history": consensus.history(session, site=site)[1], "csv_base": csv_base}

    if chart:
        return csv_download(_pick(build()["charts"], chart), f"site-{site.id}-{chart}")
    body, has_charts = _body(session, ("site", site.id), "dashboards/_site_body.html", build)
    return render(request, "dashboards/site.html", {"site": site, "body": body,
                                                     "has_charts": has_charts})


def _set_builder(session: Session, ls, anonymise: bool) -> Callable[[], dict]:  # noqa: ANN001
    def build() -> dict:
        data = dashboards.learning_set_dashboard(session, ls=ls)
        names = anonymise_rule.site_names(data.sites, anonymise)
        return {"d": data, "names": names, "ls": ls, "anonymise": anonymise,
                "csv_base": f"/learning-sets/{ls.id}/dashboard",
                "charts": set_charts(data, frameworks.short_titles(session), names)}

    return build


@router.get("/learning-sets/{learning_set_id}/dashboard")
def set_dashboard(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  ls: LearningSetDep, anonymise: bool = False,
                  chart: str | None = Query(default=None, max_length=40)):
    build = _set_builder(session, ls, anonymise)
    if chart:
        return csv_download(_pick(build()["charts"], chart), f"learning-set-{ls.id}-{chart}")
    body, _ = _body(session, ("set", ls.id, anonymise), "dashboards/_learning_set_body.html",
                    build)
    return render(request, "dashboards/learning_set.html", {"ls": ls, "body": body})


@router.get("/learning-sets/{learning_set_id}/present")
def present(request: Request, session: SessionDep, principal: CurrentPrincipal,
            ls: LearningSetDep, anonymise: bool = False):
    """Presentation mode for a meeting: one chart per screen, no edit controls."""
    body, _ = _body(session, ("present", ls.id, anonymise), "dashboards/_present_slides.html",
                    _set_builder(session, ls, anonymise))
    return render(request, "dashboards/present.html", {"ls": ls, "anonymise": anonymise,
                                                        "body": body})


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
        return {"d": data, "charts": programme_charts(data, frameworks.short_titles(session)),
                "kinds": sites.list_kinds(session), "regions": regions, "filters": filters,
                "csv_query": urlencode({k: v for k, v in filters.items() if v})}

    if chart:
        return csv_download(_pick(build()["charts"], chart), f"programme-{chart}")
    body, _ = _body(session, ("programme", kind or None, learning_set_id, region or None),
                    "dashboards/_programme_body.html", build)
    return render(request, "dashboards/programme.html", {"body": body})
