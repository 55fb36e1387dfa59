"""Defining measures: core ones for every site, local ones for one site."""

from datetime import timedelta

from sqlmodel import Session, col, func, or_, select

from imroc import clock, periods
from imroc.errors import Conflict, Invalid, NotFound
from imroc.models import Measure, MeasureChallenge, Site
from imroc.models.measure import MeasureIn, MeasurePublic, MeasureUpdate
from imroc.services import audit, versioned
from imroc.services.access import (
    Principal,
    can_view_site,
    ensure_manage_measure,
    ensure_view_site,
)

FIELDS = ("site_id", "name", "definition", "kind", "unit", "numerator_label",
          "denominator_label", "scale", "direction", "target", "frequency", "chart",
          "baseline_points", "starts_on", "archived")


def public(measure: Measure, challenges: list[int]) -> MeasurePublic:
    return MeasurePublic(**measure.model_dump(include=set(FIELDS) | {"id", "version"}),
                         core=measure.site_id is None, challenges=challenges)


def challenges_of(session: Session, measure_ids: list[int]) -> dict[int, list[int]]:
    """The linked challenges of each measure, in order (one query)."""
    out: dict[int, list[int]] = {i: [] for i in measure_ids}
    if measure_ids:
        rows = session.exec(select(MeasureChallenge).where(
            col(MeasureChallenge.measure_id).in_(measure_ids))
            .order_by(col(MeasureChallenge.challenge))).all()
        for row in rows:
            out[row.measure_id].append(row.challenge)
    return out


def get_measure(session: Session, *, measure_id: int, principal: Principal) -> Measure:
    """A measure the person may see: every core measure, and local ones of visible sites."""
    measure = session.get(Measure, measure_id)
    if measure is None:
        raise NotFound("Measure not found")
    if measure.site_id is not None:
        site = session.get(Site, measure.site_id)
        if site is None or not can_view_site(principal, site):
            raise NotFound("Measure not found")
    return measure


def for_site(session: Session, *, site: Site, measure: Measure) -> None:
    """Refuse (404) a local measure of another site being read or written for this one."""
    if measure.site_id not in (None, site.id):
        raise NotFound("Measure not found")


def site_measures(session: Session, *, site: Site, archived: bool = False) -> list[Measure]:
    """The core measures and this site's own, core first, by name."""
    query = select(Measure).where(or_(col(Measure.site_id).is_(None), Measure.site_id == site.id))
    if not archived:
        query = query.where(col(Measure.archived).is_(False))
    query = query.order_by(col(Measure.site_id).is_not(None), func.lower(Measure.name))
    return list(session.exec(query).all())


def core_measures(session: Session, *, archived: bool = False) -> list[Measure]:
    """The programme's core measures by name (with `archived`, the archived ones too)."""
    query = select(Measure).where(col(Measure.site_id).is_(None))
    if not archived:
        query = query.where(col(Measure.archived).is_(False))
    return list(session.exec(query.order_by(func.lower(Measure.name))).all())


def archived_core_measures(session: Session) -> list[Measure]:
    """The core measures that were archived, by name."""
    return [m for m in core_measures(session, archived=True) if m.archived]


def visible_measures(session: Session, *, principal: Principal,
                     site: Site | None = None) -> list[Measure]:
    """For the API list: core measures and the local ones of sites the person may see."""
    if site is not None:
        return site_measures(session, site=site, archived=True)
    rows = session.exec(select(Measure, Site).join(Site, col(Site.id) == Measure.site_id,
                                                   isouter=True).order_by(col(Measure.id))).all()
    return [m for m, s in rows if s is None or can_view_site(principal, s)]


def _check(session: Session, *, site_id: int | None, name: str, kind: str,
           numerator_label: str, denominator_label: str, measure_id: int | None = None) -> None:
    errors: dict[str, str] = {}
    clash = select(Measure.id).where(func.lower(Measure.name) == name.strip().lower())
    clash = clash.where(col(Measure.site_id).is_(None) if site_id is None else or_(
        col(Measure.site_id).is_(None), Measure.site_id == site_id))
    if measure_id is not None:
        clash = clash.where(Measure.id != measure_id)
    if session.exec(clash).first() is not None:
        errors["name"] = "A measure with this name already exists for this site or the programme"
    if kind == "ratio":
        if not numerator_label.strip():
            errors["numerator_label"] = "Enter what the numerator counts"
        if not denominator_label.strip():
            errors["denominator_label"] = "Enter what the denominator counts"
    if errors:
        raise Invalid(errors)


def _link(session: Session, measure_id: int, challenges: list[int]) -> None:
    for row in session.exec(select(MeasureChallenge).where(
            MeasureChallenge.measure_id == measure_id)).all():
        session.delete(row)
    session.flush()
    for number in challenges:
        session.add(MeasureChallenge(measure_id=measure_id, challenge=number))


def create_measure(session: Session, *, data: MeasureIn, principal: Principal) -> Measure:
    """Define a measure: core when `site_id` is empty (programme team), else local."""
    site = None
    if data.site_id is not None:
        site = ensure_view_site(principal, session.get(Site, data.site_id))
    ensure_manage_measure(principal, site)
    if data.starts_on > clock.today() + timedelta(days=366):
        raise Invalid({"starts_on": "The first period must be within the next year"})
    _check(session, site_id=data.site_id, name=data.name, kind=data.kind.value,
           numerator_label=data.numerator_label, denominator_label=data.denominator_label)
    values = data.model_dump(exclude={"challenges"}, mode="python")
    values = {k: (v.strip() if isinstance(v, str) else getattr(v, "value", v))
              for k, v in values.items()}
    values["starts_on"] = periods.start_of(data.starts_on, data.frequency.value)
    if data.kind.value != "ratio":
        values |= {"numerator_label": "", "denominator_label": "", "scale": 1}
    measure = Measure(**values)
    session.add(measure)
    session.flush()
    _link(session, measure.id, data.challenges)
    audit.record(session, actor=principal.user, action="create", entity="measure",
                 entity_id=measure.id, site_id=measure.site_id,
                 after=audit.snapshot(measure, FIELDS) | {"challenges": data.challenges})
    session.commit()
    return measure


def update_measure(session: Session, *, measure: Measure, data: MeasureUpdate,
                   principal: Principal) -> Measure:
    """Change a measure's definition if nobody else has since the version read (else 409).
    Its kind, frequency and start stay fixed: the values already entered depend on them."""
    site = session.get(Site, measure.site_id) if measure.site_id is not None else None
    ensure_manage_measure(principal, site)
    changes = data.model_dump(exclude_unset=True, exclude={"version", "challenges"})
    for required in ("name", "direction", "chart", "scale", "archived"):
        if required in changes and changes[required] is None:
            raise Invalid({required: f"Enter the {required.replace('_', ' ')}"})
    merged = {k: changes.get(k, getattr(measure, k)) for k in
              ("name", "numerator_label", "denominator_label")}
    _check(session, site_id=measure.site_id, name=merged["name"], kind=measure.kind,
           numerator_label=merged["numerator_label"] or "",
           denominator_label=merged["denominator_label"] or "", measure_id=measure.id)
    before = audit.snapshot(measure, FIELDS)
    before_links = challenges_of(session, [measure.id])[measure.id]
    values = {k: (v.strip() if isinstance(v, str) else getattr(v, "value", v))
              for k, v in changes.items()}
    values |= {k: "" for k in ("definition", "unit", "numerator_label", "denominator_label")
               if k in values and values[k] is None}
    if not versioned.save_if_unchanged(session, Measure, measure.id, data.version, values):
        session.rollback()
        session.refresh(measure)
        raise Conflict("Someone else changed this measure after you opened it. Your changes "
                       "are shown beside the current version.", current=public(
                           measure, challenges_of(session, [measure.id])[measure.id]))
    if data.challenges is not None:
        _link(session, measure.id, data.challenges)
    session.refresh(measure)
    after_links = data.challenges if data.challenges is not None else before_links
    audit.record(session, actor=principal.user, action="update", entity="measure",
                 entity_id=measure.id, site_id=measure.site_id,
                 before=before | {"challenges": before_links},
                 after=audit.snapshot(measure, FIELDS) | {"challenges": after_links})
    session.commit()
    return measure
