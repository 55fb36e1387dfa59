"""The exchange document's `measures` section: the site's measures and their values.

A section of the document is its classes in exchange_doc.py and three small functions
kept here together: what the export writes (`export`), how the reader checks it into the
plan (`check`) and how the plan is written (`write`); exchange_sections.py lists them.

A local measure belongs to the site and travels whole. A core measure is the programme's:
it is named here with its definition, found by name when the document is imported, and
defined from the document only when the installation does not have it yet. Each value
keeps its note (annotation), whether the chart's limits are worked out again from it
(a recalculation point, `rebase`) and, for a survey measure, the survey's `band` for the
site. A measure's national reference series travels with it; an import writes it only
where the installation holds no series for that measure yet.
"""

from datetime import date

from sqlmodel import Session, col, func, select

from imroc import periods
from imroc.models import DataPoint, Measure, MeasureChallenge, ReferencePoint, Site, User
from imroc.services import audit
from imroc.services.data_io.exchange_doc import MeasureDoc

KEY = "measures"
DEFINITION = ("definition", "kind", "unit", "numerator_label", "denominator_label", "scale",
              "direction", "target", "frequency", "chart", "baseline_points", "starts_on",
              "archived")
POINT = ("value", "numerator", "denominator", "annotation", "rebase", "band")
REFERENCE = ("value", "lower", "upper")


def export(session: Session, site: Site) -> list[dict]:
    """The site's own measures, and the core measures it has values of, with the values."""
    points = session.exec(select(DataPoint).where(DataPoint.site_id == site.id)
                          .order_by(col(DataPoint.period_start))).all()
    ids = {p.measure_id for p in points}
    measures = session.exec(select(Measure).where(
        (Measure.site_id == site.id) | col(Measure.id).in_(sorted(ids) or [-1]))
        .order_by(col(Measure.site_id).is_(None), col(Measure.name))).all()
    linked: dict[int, list[int]] = {}
    for mid, number in session.exec(select(MeasureChallenge.measure_id,
                                           MeasureChallenge.challenge).where(
            col(MeasureChallenge.measure_id).in_([m.id for m in measures] or [-1]))):
        linked.setdefault(mid, []).append(number)
    national: dict[int, list[ReferencePoint]] = {}
    for r in session.exec(select(ReferencePoint).where(
            col(ReferencePoint.measure_id).in_([m.id for m in measures] or [-1]))
            .order_by(col(ReferencePoint.period_start))):
        national.setdefault(r.measure_id, []).append(r)
    return [{"name": m.name, "core": m.site_id is None,
             **{k: getattr(m, k) for k in DEFINITION},
             "challenges": sorted(linked.get(m.id, [])),
             "values": [{"period": p.period_start, **{k: getattr(p, k) for k in POINT}}
                        for p in points if p.measure_id == m.id],
             "reference": [{"period": r.period_start, **{k: getattr(r, k) for k in REFERENCE}}
                           for r in national.get(m.id, [])]} for m in measures]


def check(session: Session, docs: list[MeasureDoc], site_id: int | None, bad,
          **_context) -> list[dict]:
    """The measures to write, each with `measure_id` when it is already defined here.

    Values of a period already recorded for the site are refused: an import only adds."""
    plan: list[dict] = []
    names: set[tuple[bool, str]] = set()
    for i, m in enumerate(docs):
        at = f"measures/{i}"
        key = m.name.strip().lower()
        if (m.core, key) in names:
            bad(f"{at}/name", m.name, "This measure is listed twice")
            continue
        names.add((m.core, key))
        found = session.exec(select(Measure).where(func.lower(Measure.name) == key).where(
            col(Measure.site_id).is_(None) if m.core or site_id is None
            else (col(Measure.site_id).is_(None)) | (Measure.site_id == site_id))).all()
        existing = next((x for x in found if (x.site_id is None) == m.core), None)
        if existing is None and found:
            bad(f"{at}/name", m.name, "A measure with this name is defined here for the "
                "programme or the site already: rename one of them")
            continue
        if existing is not None and existing.kind != m.kind.value:
            bad(f"{at}/kind", m.kind.value, f"The measure {existing.name} here is a "
                f"{existing.kind}: the values cannot be added to it")
            continue
        frequency = existing.frequency if existing else m.frequency.value
        recorded = set(session.exec(select(DataPoint.period_start).where(
            DataPoint.measure_id == existing.id, DataPoint.site_id == site_id)).all()) \
            if existing is not None and site_id is not None else set()
        seen: set[date] = set()
        for j, v in enumerate(m.values):
            where = f"{at}/values/{j}/period"
            if not periods.is_start(v.period, frequency):
                bad(where, v.period, "The period " + periods.not_start_reason(frequency))
            elif v.period in seen or v.period in recorded:
                bad(where, v.period, "A value for this period is given twice or already "
                    "recorded for the site")
            seen.add(v.period)
            if m.kind.value == "ratio" and (v.numerator is None or v.denominator is None):
                bad(f"{at}/values/{j}", "", "A ratio needs its numerator and denominator")
        _check_reference(m, frequency, at, bad)
        held = existing is not None and session.exec(select(ReferencePoint.id).where(
            ReferencePoint.measure_id == existing.id)).first() is not None
        plan.append({"doc": m, "measure_id": existing.id if existing else None,
                     "reference": not held})
    return plan


def _check_reference(m: MeasureDoc, frequency: str, at: str, bad) -> None:
    seen: set[date] = set()
    for j, r in enumerate(m.reference):
        where = f"{at}/reference/{j}"
        if not periods.is_start(r.period, frequency):
            bad(f"{where}/period", r.period, "The period " + periods.not_start_reason(frequency))
        elif r.period in seen:
            bad(f"{where}/period", r.period, "This period appears more than once")
        seen.add(r.period)
        if r.lower is not None and r.upper is not None and r.lower > r.upper:
            bad(f"{where}/lower", r.lower, "The lower end of the range must not be above the "
                "upper end")


def write(session: Session, site: Site, plan: list[dict], actor: User | None) -> int:
    """Define what is missing and add the values; returns the number of values added."""
    added = 0
    for item in plan:
        m: MeasureDoc = item["doc"]
        measure_id = item["measure_id"]
        if measure_id is None:
            measure = Measure(name=m.name.strip(), site_id=None if m.core else site.id,
                              **m.model_dump(include=set(DEFINITION), mode="python"))
            measure.kind, measure.direction = m.kind.value, m.direction.value
            measure.frequency, measure.chart = m.frequency.value, m.chart.value
            session.add(measure)
            session.flush()
            session.add_all([MeasureChallenge(measure_id=measure.id, challenge=n)
                             for n in m.challenges])
            audit.record(session, actor=actor, action="import",
                         entity="measure", entity_id=measure.id, site_id=measure.site_id,
                         after={"name": measure.name, "core": m.core})
            measure_id = measure.id
        session.add_all([DataPoint(measure_id=measure_id, site_id=site.id,
                                   period_start=v.period,
                                   updated_by_id=actor.id if actor else None,
                                   **v.model_dump(include=set(POINT) - {"band"}),
                                   band=v.band.value if v.band else None) for v in m.values])
        if item.get("reference", True):
            session.add_all([ReferencePoint(measure_id=measure_id, period_start=r.period,
                                            updated_by_id=actor.id if actor else None,
                                            **r.model_dump(include=set(REFERENCE)))
                             for r in m.reference])
        added += len(m.values)
    session.flush()
    return added
