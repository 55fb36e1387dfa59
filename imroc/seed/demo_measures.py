"""Measures for the demo programme: two core measures every site reports, and a local one,
with values from January 2023 that improve in steps the month after a site adopted a change
under the measure's challenges (as its PDSA history records it), entered through the same
services people use."""

import random
from datetime import date

from sqlmodel import Session, col, select

from imroc import clock, periods
from imroc.models import Membership, Site, User
from imroc.models.measure import MeasureIn, PointIn, ReferenceIn
from imroc.models.user import SiteRole
from imroc.seed.demo_history import SAFETY_PLANNING, History
from imroc.services.access import Principal, load_principal
from imroc.services.measures import definitions as measures
from imroc.services.measures import reference as national
from imroc.services.measures import values as measure_data

START = date(2023, 1, 1)
CORE = [
    MeasureIn(name="Support for recovery (INSPIRE brief)", kind="average", direction="up",
              unit="points", target=70, starts_on=START, challenges=[1, 8],
              definition="The average score people using the service give the support for "
                         "recovery they get from their worker (0 to 100), from the brief INSPIRE "
                         "questionnaire collected each month."),
    MeasureIn(name="People who helped write their care plan", kind="ratio", direction="up",
              numerator_label="People who say they helped write their plan",
              denominator_label="People asked", scale=100, unit="%", target=75,
              starts_on=START, challenges=[1, 5, 7],
              definition="Of the people asked in the monthly care-plan audit, the share who say "
                         "they helped write their own care plan."),
]
SURVEY_START = date(2021, 1, 1)
SURVEY = MeasureIn(name="Felt involved in agreeing what care they receive", kind="average",
                   direction="up", frequency="yearly", starts_on=SURVEY_START, challenges=[1, 5],
                   definition="The trust's mean score, out of 10, for the annual national survey "
                              "of people using community mental health services: how far people "
                              "felt involved in agreeing what care and support they receive.")
# National results by survey year, with the range the survey publishes around them; our own
# illustrative numbers, not the survey's.
NATIONAL = [6.9, 6.8, 6.9, 7.0, 7.1, 7.1, 7.2, 7.2, 7.3, 7.3]
LOCAL = MeasureIn(name="Seclusion hours", kind="count", direction="down", unit="hours",
                  starts_on=START, challenges=[6], baseline_points=12,
                  definition="Hours of seclusion on the site's inpatient wards in the month.")


def _lead(session: Session, site: Site) -> Principal:
    user = session.exec(select(User).join(Membership, col(Membership.user_id) == User.id).where(
        Membership.site_id == site.id, Membership.role == SiteRole.site_lead)).first()
    return load_principal(session, user)


def _series(rng: random.Random, months: list[date], steps: list[date], base: float,
            lift: float, noise: float, low: float, high: float) -> list[float]:
    """A level that moves by `lift` after each step date, with everyday noise."""
    out = []
    for month in months:
        level = base + lift * sum(1 for s in steps if s <= month)
        out.append(round(min(high, max(low, rng.gauss(level, noise))), 1))
    return out


def _steps(history: History, site: Site, measure: MeasureIn, most: int = 2) -> list[date]:
    """The months from which a measure moves: after the site's first adopted changes under
    the measure's challenges."""
    decided = sorted(day for day, challenge, _title in history.adopted.get(site.id, [])
                     if challenge in measure.challenges)
    return [periods.following(periods.start_of(day, "monthly"), "monthly")
            for day in decided[:most]]


def load_measures(session: Session, *, sites: list[Site], actor: Principal, history: History,
                  today: date | None = None, seed: int = 2011) -> int:
    """Define the demo measures and fill in every site's values; the count of values."""
    rng = random.Random(seed)
    last = periods.last_complete(today or clock.today(), "monthly")
    months = periods.between(START, last, "monthly")
    core = [measures.create_measure(session, data=m, principal=actor) for m in CORE]
    entered = 0
    for n, site in enumerate(sites):
        if n == 0:
            continue  # the first site starts fresh, for the walk-through in the README
        lead = _lead(session, site)
        # A site improves in steps, as the changes it adopted take hold.
        inspire = _series(rng, months, _steps(history, site, CORE[0]), rng.uniform(52, 62), 6,
                          3.5, 0, 100)
        asked = [rng.randint(18, 30) for _ in months]
        share = _series(rng, months, _steps(history, site, CORE[1]), rng.uniform(0.45, 0.6),
                        0.08, 0.06, 0, 1)
        for measure, points in (
                (core[0], [PointIn(period=m, value=v) for m, v in zip(months, inspire, strict=True)]),
                (core[1], [PointIn(period=m, numerator=round(a * s), denominator=a)
                           for m, a, s in zip(months, asked, share, strict=True)])):
            measure_data.save_points(session, site=site, measure=measure, points=points,
                                     principal=lead, today=today)
            entered += len(points)
        if n == 1:
            local = measures.create_measure(session, principal=lead, data=LOCAL.model_copy(
                update={"site_id": site.id}))
            # Seclusion falls once the safety-planning practice is adopted (its history's story).
            change = [periods.following(periods.start_of(day, "monthly"), "monthly")
                      for day, _c, title in history.adopted.get(site.id, [])
                      if title == SAFETY_PLANNING[1]][:1]
            hours = _series(rng, months, change, 80, -30, 9, 0, 500)
            points = [PointIn(period=m, value=v, rebase=m in change,
                              annotation=SAFETY_PLANNING[1] if m in change else "")
                      for m, v in zip(months, hours, strict=True)]
            measure_data.save_points(session, site=site, measure=local, points=points,
                                     principal=lead, today=today)
            entered += len(points)
    return entered + _survey(session, sites=sites, actor=actor, today=today, seed=seed)


def _survey(session: Session, *, sites: list[Site], actor: Principal, today: date | None,
            seed: int) -> int:
    """The survey measure: national values year by year, and each site's scores with where
    the survey placed its organisation. Its own random numbers, so the other series stay as
    they were."""
    rng = random.Random(seed + 1)
    years = periods.between(SURVEY_START, periods.last_complete(today or clock.today(),
                                                                "yearly"), "yearly")
    measure = measures.create_measure(session, data=SURVEY, principal=actor)
    values = {y: NATIONAL[min(i, len(NATIONAL) - 1)] for i, y in enumerate(years)}
    national.replace_reference(session, measure=measure, principal=actor, today=today, points=[
        ReferenceIn(period=y, value=v, lower=round(v - 0.4, 1), upper=round(v + 0.4, 1))
        for y, v in values.items()])
    entered = 0
    for n, site in enumerate(sites):
        if n == 0:
            continue
        lean = rng.uniform(-0.6, 0.5)
        points = []
        for y in years:
            score = round(values[y] + lean + rng.gauss(0, 0.2), 1)
            gap = score - values[y]
            band = "better" if gap > 0.4 else "worse" if gap < -0.4 else "about_same"
            points.append(PointIn(period=y, value=score, band=band))
        measure_data.save_points(session, site=site, measure=measure, points=points,
                                 principal=_lead(session, site), today=today)
        entered += len(points)
    return entered
