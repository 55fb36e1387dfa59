"""A measure's national reference series (for example a survey's national results year by
year): kept by the programme team, replaced as a whole, and read against each site's values."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, delete, select

from imroc import clock, periods
from imroc.errors import Invalid
from imroc.models import DataPoint, Measure, ReferencePoint, Site
from imroc.models.measure import BAND_LABELS, ReferenceIn, ReferencePublic
from imroc.services import audit
from imroc.services.access import Principal, ensure_manage_reference
from imroc.spc.summary import fmt

FIELDS = ("value", "lower", "upper")


def public(point: ReferencePoint) -> ReferencePublic:
    return ReferencePublic(period=point.period_start, value=point.value, lower=point.lower,
                           upper=point.upper)


def list_reference(session: Session, *, measure: Measure) -> list[ReferencePoint]:
    """The national values of the measure, oldest period first."""
    return list(session.exec(select(ReferencePoint).where(
        ReferencePoint.measure_id == measure.id).order_by(col(ReferencePoint.period_start))).all())


def reference_of(session: Session, measure_ids: list[int]) -> dict[int, list[ReferencePoint]]:
    """The national series of several measures (one query), oldest period first."""
    out: dict[int, list[ReferencePoint]] = {i: [] for i in measure_ids}
    if measure_ids:
        for point in session.exec(select(ReferencePoint).where(
                col(ReferencePoint.measure_id).in_(measure_ids))
                .order_by(col(ReferencePoint.period_start))).all():
            out[point.measure_id].append(point)
    return out


def check_reference(measure: Measure, points: list[ReferenceIn],
                    today: date | None = None) -> None:
    """Invalid naming points.N.field for a period that does not start one of the measure's
    periods, lies in the future or appears twice, and for a range whose lower end is above
    its upper end."""
    latest = periods.start_of(today or clock.today(), measure.frequency)
    errors: dict[str, str] = {}
    seen: set[date] = set()
    for i, item in enumerate(points):
        key = f"points.{i}"
        if not periods.is_start(item.period, measure.frequency):
            errors[f"{key}.period"] = "The period " + periods.not_start_reason(measure.frequency)
        elif item.period > latest:
            errors[f"{key}.period"] = "The period cannot be in the future"
        elif item.period in seen:
            errors[f"{key}.period"] = "This period appears more than once"
        seen.add(item.period)
        if item.lower is not None and item.upper is not None and item.lower > item.upper:
            errors[f"{key}.lower"] = "The lower end of the range must not be above the upper end"
    if errors:
        raise Invalid(errors)


def replace_reference(session: Session, *, measure: Measure, points: list[ReferenceIn],
                      principal: Principal, today: date | None = None) -> list[ReferencePoint]:
    """Replace the measure's whole national series in one transaction (an empty list clears
    it); the audit row keeps the series before and after."""
    ensure_manage_reference(principal)
    check_reference(measure, points, today)
    old = list_reference(session, measure=measure)
    before = [_snap(p.period_start, p.value, p.lower, p.upper) for p in old]
    after = [_snap(p.period, p.value, p.lower, p.upper)
             for p in sorted(points, key=lambda p: p.period)]
    session.exec(delete(ReferencePoint).where(  # type: ignore[call-overload]
        col(ReferencePoint.measure_id) == measure.id))
    for item in points:
        session.add(ReferencePoint(measure_id=measure.id, period_start=item.period,
                                   value=item.value, lower=item.lower, upper=item.upper,
                                   updated_by_id=principal.user.id))
    if before != after:
        audit.record(session, actor=principal.user, action="replace", entity="reference_point",
                     entity_id=str(measure.id), site_id=measure.site_id,
                     before={"points": before}, after={"points": after})
    session.commit()
    return list_reference(session, measure=measure)


def _snap(period: date, value: float, lower: float | None, upper: float | None) -> dict:
    return {"period": period.isoformat(), "value": value, "lower": lower, "upper": upper}


@dataclass(frozen=True)
class Standing:
    """Where a site's latest value stands against the national one for the same period."""

    period: date
    value: float
    national: float | None
    band: str | None

    @property
    def band_label(self) -> str | None:
        return BAND_LABELS.get(self.band) if self.band else None


def standing(points: list[DataPoint], reference: list[ReferencePoint]) -> Standing | None:
    """The site's latest value with the national value of that period and its band."""
    if not points or not reference:
        return None
    last = points[-1]
    national = {r.period_start: r.value for r in reference}.get(last.period_start)
    return Standing(last.period_start, last.value, national, getattr(last, "band", None))


def standing_sentence(s: Standing, *, frequency: str, unit: str) -> str:
    """In 2025 the site scored 6.8 against a national 7.1; the survey placed it about the
    same as expected."""
    when = periods.label(s.period, frequency)
    text = f"In {when} the trust scored {fmt(s.value, unit)}"
    text += (f" against a national {fmt(s.national, unit)}" if s.national is not None
             else "; there is no national value for that period yet")
    if s.band:
        text += "; the survey placed it " + {
            "better": "better than expected", "about_same": "about the same as expected",
            "worse": "worse than expected"}[s.band]
    return text + "."


@dataclass(frozen=True)
class SurveyTable:
    """One survey measure across sites: each site's latest standing (None without values)."""

    measure: Measure
    latest_national: ReferencePoint | None
    rows: list[tuple[Site, Standing | None]]


def survey_tables(session: Session, *, sites: list[Site]) -> list[SurveyTable]:
    """Every live core measure with a national series, compared across the sites: three
    queries, whatever the number of sites."""
    measures = list(session.exec(select(Measure).where(
        col(Measure.site_id).is_(None), col(Measure.archived).is_(False),
        col(Measure.id).in_(select(ReferencePoint.measure_id))).order_by(col(Measure.name))).all())
    if not measures:
        return []
    reference = reference_of(session, [m.id for m in measures])
    latest: dict[tuple[int, int], DataPoint] = {}
    if sites:
        for point in session.exec(select(DataPoint).where(
                col(DataPoint.site_id).in_([s.id for s in sites]),
                col(DataPoint.measure_id).in_([m.id for m in measures]))
                .order_by(col(DataPoint.period_start))).all():
            latest[(point.site_id, point.measure_id)] = point
    out = []
    for m in measures:
        rows = []
        for site in sites:
            point = latest.get((site.id, m.id))
            rows.append((site, standing([point], reference[m.id]) if point else None))
        out.append(SurveyTable(m, reference[m.id][-1] if reference[m.id] else None, rows))
    return out


@dataclass(frozen=True)
class SiteSurvey:
    """One survey measure of a site, period by period against the national values."""

    measure: Measure
    rows: list[tuple[DataPoint, ReferencePoint | None, str]]  # with the band in words
    sentence: str


def site_survey(session: Session, *, site: Site, measures: list[Measure]) -> list[SiteSurvey]:
    """The site's measures that have a national series, each with its values set against
    it and the plain-English sentence (what the site report shows)."""
    reference = reference_of(session, [m.id for m in measures])
    with_series = [m for m in measures if reference[m.id]]
    if not with_series:
        return []
    points: dict[int, list[DataPoint]] = {m.id: [] for m in with_series}
    for point in session.exec(select(DataPoint).where(
            DataPoint.site_id == site.id, col(DataPoint.measure_id).in_(list(points)))
            .order_by(col(DataPoint.period_start))).all():
        points[point.measure_id].append(point)
    out = []
    for m in with_series:
        by_period = {r.period_start: r for r in reference[m.id]}
        s = standing(points[m.id], reference[m.id])
        sentence = (standing_sentence(s, frequency=m.frequency, unit=m.unit) if s
                    else "No values have been entered yet.")
        out.append(SiteSurvey(m, [
            (p, by_period.get(p.period_start), BAND_LABELS.get(p.band or "", "Not given"))
            for p in points[m.id]],
                              sentence))
    return out
