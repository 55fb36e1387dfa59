"""A site's values of a measure: saved together or not at all, never overwriting unseen edits."""

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from imroc import clock, periods
from imroc.errors import Conflict, Invalid, NotFound
from imroc.models import DataPoint, Measure, Site
from imroc.models.measure import MAX_VALUE, PointIn, PointPublic
from imroc.services import audit, versioned
from imroc.services.access import Principal, ensure_enter_data

FIELDS = ("value", "numerator", "denominator", "annotation", "rebase", "band")


def public(point: DataPoint) -> PointPublic:
    return PointPublic(period=point.period_start, **point.model_dump(include={*FIELDS, "version"}))


def list_points(session: Session, *, site: Site, measure: Measure) -> list[DataPoint]:
    return list(session.exec(select(DataPoint).where(
        DataPoint.measure_id == measure.id, DataPoint.site_id == site.id)
        .order_by(col(DataPoint.period_start))).all())


def get_point(session: Session, *, site: Site, measure: Measure,
              period: date) -> DataPoint | None:
    """One period's saved value, or None."""
    return session.exec(select(DataPoint).where(
        DataPoint.measure_id == measure.id, DataPoint.site_id == site.id,
        DataPoint.period_start == period)).first()


def _value(measure: Measure, item: PointIn, key: str, errors: dict[str, str]) -> float | None:
    """The value to store, from `value` or from the numerator and denominator of a ratio."""
    if measure.kind == "ratio":
        if item.numerator is None:
            errors[f"{key}.numerator"] = "Enter the numerator"
        elif item.numerator < 0:
            errors[f"{key}.numerator"] = "The numerator must be 0 or more"
        if item.denominator is None:
            errors[f"{key}.denominator"] = "Enter the denominator"
        elif item.denominator <= 0:
            errors[f"{key}.denominator"] = "The denominator must be more than 0"
        if item.numerator is None or item.denominator is None or item.denominator <= 0:
            return None
        value = item.numerator / item.denominator * measure.scale
        if not math.isfinite(value) or abs(value) > MAX_VALUE:
            errors[f"{key}.numerator"] = "The ratio is too large to chart"
            return None
        return value
    if item.value is None:
        errors[f"{key}.value"] = "Enter the value"
    elif measure.kind == "count" and item.value < 0:
        errors[f"{key}.value"] = "A count must be 0 or more"
    return item.value


def check_points(measure: Measure, points: list[PointIn],
                 today: date | None = None) -> list[tuple[PointIn, float]]:
    """Each point with the value to store; Invalid naming points.N.field when any is wrong."""
    latest = periods.start_of(today or clock.today(), measure.frequency)
    errors: dict[str, str] = {}
    seen: set[date] = set()
    rows: list[tuple[PointIn, float]] = []
    for i, item in enumerate(points):
        key = f"points.{i}"
        if not periods.is_start(item.period, measure.frequency):
            errors[f"{key}.period"] = "The period " + periods.not_start_reason(measure.frequency)
        elif item.period > latest:
            errors[f"{key}.period"] = "The period cannot be in the future"
        elif item.period in seen:
            errors[f"{key}.period"] = "This period appears more than once"
        seen.add(item.period)
        value = _value(measure, item, key, errors)
        if value is not None:
            rows.append((item, value))
    if errors:
        raise Invalid(errors)
    return rows


def save_points(session: Session, *, site: Site, measure: Measure, points: list[PointIn],
                principal: Principal, today: date | None = None) -> list[DataPoint]:
    """Add or change several periods' values in one transaction: all of them, or none.

    A period already saved must come with the version that was read; if someone changed it
    since, nothing is saved and the conflict names the period (409)."""
    ensure_enter_data(principal, site)
    if measure.site_id not in (None, site.id):
        raise NotFound("Measure not found")
    if measure.archived:
        raise Conflict("This measure is archived; its values can no longer change")
    rows = check_points(measure, points, today)
    seen = {item.period for item, _ in rows}
    existing = {p.period_start: p for p in session.exec(select(DataPoint).where(
        DataPoint.measure_id == measure.id, DataPoint.site_id == site.id,
        col(DataPoint.period_start).in_(seen))).all()}
    stale = [item.period for item, _ in rows
             if (item.period in existing) != (item.version is not None)
             or (item.period in existing and existing[item.period].version != item.version)]
    if stale:
        _conflict(session, measure, stale)
    saved: list[DataPoint] = []
    changes: list[dict] = []
    for item, value in rows:
        fields = {"value": value, "annotation": item.annotation.strip(), "rebase": item.rebase,
                  "band": item.band.value if item.band else None,
                  "numerator": item.numerator if measure.kind == "ratio" else None,
                  "denominator": item.denominator if measure.kind == "ratio" else None}
        old = existing.get(item.period)
        if old is None:
            point = DataPoint(measure_id=measure.id, site_id=site.id, period_start=item.period,
                              updated_by_id=principal.user.id, **fields)
            session.add(point)
            changes.append({"period": item.period.isoformat(), "before": None, "after": fields})
        else:
            before = audit.snapshot(old, FIELDS)
            if not versioned.save_if_unchanged(session, DataPoint, old.id, item.version,
                                               fields | {"updated_by_id": principal.user.id}):
                _conflict(session, measure, [item.period])
            point = old
            if before != fields:
                changes.append({"period": item.period.isoformat(), "before": before,
                                "after": fields})
        saved.append(point)
    try:
        session.flush()
    except IntegrityError:  # someone else added one of these periods a moment ago
        _conflict(session, measure, [item.period for item, _ in rows])
    if changes:
        audit.record(session, actor=principal.user, action="save", entity="data_point",
                     entity_id=f"{measure.id}:{site.id}", site_id=site.id,
                     after={"measure_id": measure.id, "changes": changes})
    session.commit()
    for point in saved:
        session.refresh(point)
    return saved


def _conflict(session: Session, measure: Measure, stale: list[date]) -> None:
    session.rollback()
    named = ", ".join(periods.label(p, measure.frequency) for p in sorted(set(stale))[:6])
    raise Conflict(f"Someone else changed the values for {named} after you opened them. "
                   "Nothing was saved: reload to see the current values, then try again.")


def delete_point(session: Session, *, site: Site, measure: Measure, period: date,
                 version: int, principal: Principal) -> None:
    """Remove one period's value entered by mistake (the audit trail keeps it)."""
    ensure_enter_data(principal, site)
    point = get_point(session, site=site, measure=measure, period=period)
    if point is None:
        raise NotFound("No value is saved for this period")
    if point.version != version:
        _conflict(session, measure, [period])
    before = audit.snapshot(point, FIELDS)
    session.delete(point)
    audit.record(session, actor=principal.user, action="delete", entity="data_point",
                 entity_id=f"{measure.id}:{site.id}", site_id=site.id,
                 before={"period": period.isoformat(), **before})
    session.commit()


@dataclass(frozen=True)
class Due:
    measure: Measure
    missing: list[date]  # periods that have ended with no value, oldest first
    last_entered: date | None

    @property
    def status(self) -> str:
        """'up to date', 'due' (only the latest ended period is missing) or 'overdue'."""
        if not self.missing:
            return "up to date"
        return "overdue" if len(self.missing) > 1 or (
            self.last_entered is not None and self.missing[-1] < self.last_entered) else "due"


def due(session: Session, *, site: Site, measures: list[Measure],
        today: date | None = None) -> list[Due]:
    """For each measure, the ended periods from its start that still have no value."""
    today = today or clock.today()
    ids = [m.id for m in measures]
    entered: dict[int, set[date]] = {i: set() for i in ids}
    if ids:
        for measure_id, period in session.exec(select(
                DataPoint.measure_id, DataPoint.period_start).where(
                DataPoint.site_id == site.id, col(DataPoint.measure_id).in_(ids))).all():
            entered[measure_id].add(period)
    out = []
    for m in measures:
        ended = periods.between(m.starts_on, periods.last_complete(today, m.frequency),
                                m.frequency) if m.starts_on <= today else []
        ended = [p for p in ended if p >= m.starts_on]
        out.append(Due(m, [p for p in ended if p not in entered[m.id]],
                       max(entered[m.id], default=None)))
    return out


def last_entered(session: Session) -> list[tuple[int, Measure, date]]:
    """For every site and live measure it reports on, the latest period with a value (one
    query, whatever the number of sites): what reminders and the programme's list read."""
    return [(site_id, measure, last) for site_id, measure, last in session.exec(
        select(DataPoint.site_id, Measure, func.max(DataPoint.period_start))
        .join(Measure, Measure.id == DataPoint.measure_id)
        .where(col(Measure.archived).is_(False))
        .group_by(DataPoint.site_id, Measure.id)).all()]
