"""Measures, their values per period, and the SPC reading of them, over JSON."""

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Response
from pydantic import BaseModel

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, MeasureDep, SiteDep, SiteMeasureDep
from imroc.models import Measure
from imroc.models.measure import (
    MeasureIn,
    MeasurePublic,
    MeasureUpdate,
    PointPublic,
    PointsIn,
    ReferencePublic,
    ReferenceSeriesIn,
)
from imroc.services import sites
from imroc.services.measures import charts as measure_charts
from imroc.services.measures import definitions as measures
from imroc.services.measures import reference as national
from imroc.services.measures import values as measure_data
from imroc.spc.rules import RunChartResult, XmRResult
from imroc.validation import Id, Version
from imroc.web.routing import Router

router = Router(tags=["measures"])


def _public(session: SessionDep, rows: list[Measure]) -> list[MeasurePublic]:
    links = measures.challenges_of(session, [m.id for m in rows])
    return [measures.public(m, links[m.id]) for m in rows]


@router.get("/measures", response_model=list[MeasurePublic])
def list_measures(session: SessionDep, principal: CurrentPrincipal,
                  site_id: Annotated[Id | None, Query()] = None) -> list[MeasurePublic]:
    """Core measures and the local measures of the sites you can see (or of `site_id`)."""
    site = sites.get_site(session, site_id=site_id, principal=principal) if site_id else None
    return _public(session, measures.visible_measures(session, principal=principal, site=site))


@router.post("/measures", response_model=MeasurePublic, status_code=201)
def create_measure(data: MeasureIn, session: SessionDep,
                   principal: CurrentPrincipal) -> MeasurePublic:
    """A core measure (no `site_id`; programme team) or a site's local one (its lead)."""
    return _public(session, [measures.create_measure(session, data=data, principal=principal)])[0]


@router.get("/measures/{measure_id}", response_model=MeasurePublic)
def get_measure(measure: MeasureDep, session: SessionDep) -> MeasurePublic:
    return _public(session, [measure])[0]


@router.patch("/measures/{measure_id}", response_model=MeasurePublic)
def update_measure(data: MeasureUpdate, measure: MeasureDep, session: SessionDep,
                   principal: CurrentPrincipal) -> MeasurePublic:
    """Change a measure's definition; a stale `version` gets 409 with the current record."""
    updated = measures.update_measure(session, measure=measure, data=data, principal=principal)
    return _public(session, [updated])[0]


@router.get("/measures/{measure_id}/reference", response_model=list[ReferencePublic])
def get_reference(measure: MeasureDep, session: SessionDep) -> list[ReferencePublic]:
    """The national values of the measure (for example a survey's), oldest period first."""
    return [national.public(p) for p in national.list_reference(session, measure=measure)]


@router.put("/measures/{measure_id}/reference", response_model=list[ReferencePublic])
def put_reference(data: ReferenceSeriesIn, measure: MeasureDep, session: SessionDep,
                  principal: CurrentPrincipal) -> list[ReferencePublic]:
    """Replace the whole national series (programme team); an empty list clears it."""
    saved = national.replace_reference(session, measure=measure, points=data.points,
                                       principal=principal)
    return [national.public(p) for p in saved]


@router.get("/sites/{site_id}/measures/{measure_id}/data", response_model=list[PointPublic])
def get_points(site: SiteDep, measure: SiteMeasureDep, session: SessionDep) -> list[PointPublic]:
    return [measure_data.public(p) for p in
            measure_data.list_points(session, site=site, measure=measure)]


@router.put("/sites/{site_id}/measures/{measure_id}/data", response_model=list[PointPublic])
def put_points(data: PointsIn, site: SiteDep, measure: SiteMeasureDep, session: SessionDep,
               principal: CurrentPrincipal) -> list[PointPublic]:
    """Add or change values, all or none. A saved period needs the `version` you read."""
    measure_data.save_points(session, site=site, measure=measure, points=data.points,
                             principal=principal)
    return [measure_data.public(p) for p in
            measure_data.list_points(session, site=site, measure=measure)]


@router.delete("/sites/{site_id}/measures/{measure_id}/data/{period}", status_code=204)
def delete_point(period: date, site: SiteDep, measure: SiteMeasureDep, session: SessionDep,
                 principal: CurrentPrincipal, version: Annotated[Version, Query()]) -> Response:
    measure_data.delete_point(session, site=site, measure=measure, period=period,
                              version=version, principal=principal)
    return Response(status_code=204)


class SpcPoint(BaseModel):
    period: date
    value: float
    centre: float
    lower: float | None
    upper: float | None
    lower_2s: float | None
    upper_2s: float | None
    rules: list[str]
    variation: str
    notes: str


class SpcOut(BaseModel):
    chart: str
    variation: str | None
    variation_label: str | None
    assurance: str | None
    assurance_label: str | None
    trial_limits: bool
    summary: str
    rules_in_force: list[dict[str, str]]
    points: list[SpcPoint]
    events: list[dict[str, Any]]


@router.get("/sites/{site_id}/measures/{measure_id}/spc", response_model=SpcOut)
def get_spc(site: SiteDep, measure: SiteMeasureDep, session: SessionDep) -> SpcOut:
    """The chart's reading: limits per point, the rules each point triggers, both icons,
    the summary sentence and the rule set in force."""
    links = measures.challenges_of(session, [measure.id])[measure.id]
    a = measure_charts.analyse(session, site=site, measure=measure, challenges=links)
    result = a.result
    points = []
    for i, p in enumerate(result.points if result else ()):
        xmr = isinstance(result, XmRResult)
        points.append(SpcPoint(
            period=a.points[i].period_start, value=p.value,
            centre=p.mean if xmr else p.median,  # type: ignore[union-attr]
            lower=getattr(p, "lower", None), upper=getattr(p, "upper", None),
            lower_2s=getattr(p, "lower_2s", None), upper_2s=getattr(p, "upper_2s", None),
            rules=list(p.flags), variation=p.variation.value,
            notes=measure_charts.notes_for(a.points[i], [e.text for e in a.events if e.index == i])))
    return SpcOut(
        chart="run" if isinstance(result, RunChartResult) else "xmr",
        variation=a.variation.value if a.variation else None,
        variation_label=a.variation.label if a.variation else None,
        assurance=a.assurance.value if a.assurance else None,
        assurance_label=a.assurance.label if a.assurance else None,
        trial_limits=bool(isinstance(result, XmRResult) and result.trial),
        summary=a.summary, rules_in_force=[{"rule": r, "text": t} for r, t in a.rules],
        points=points,
        events=[{"period": a.points[e.index].period_start, "text": e.text} for e in a.events])

