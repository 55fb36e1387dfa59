"""What needs the facilitators and the programme team: cycles that have stalled, voices
missing from an assessment, assessments waiting for a facilitator's view, the next meeting,
reviews overdue, consultancy beyond its allocation and measures gone quiet. A fixed number
of queries, whatever the number of sites."""

from datetime import date, timedelta

from sqlmodel import Session, col, select

from imroc import clock, periods
from imroc.clock import utcnow
from imroc.config import get_settings
from imroc.models import (
    Cycle,
    FacilitatorRating,
    Feedback,
    LearningSet,
    Meeting,
    Site,
)
from imroc.models.cycle import STAGE_LABELS, Stage
from imroc.models.framework import CHALLENGE_NUMBERS
from imroc.models.user import PERSPECTIVE_LABELS
from imroc.services import voices
from imroc.services.access import Principal
from imroc.services.measures import values
from imroc.services.tasks import Task, group_tasks, open_cycles, uk_words

QUIET_PERIODS = 3


def _stalled(cycles: list[tuple[Cycle, Site]]) -> list[Task]:
    weeks = get_settings().stalled_weeks
    since = utcnow() - timedelta(weeks=weeks)
    out = []
    for cycle, site in cycles:
        moved = cycle.stage_changed_at or cycle.created_at
        if moved < since:
            out.append(Task("stalled_cycle", f"Cycle {cycle.number} of {site.name} has been at "
                            f"{STAGE_LABELS[Stage(cycle.stage)]} since {uk_words(clock.uk_date_of(moved))}",
                            f"/cycles/{cycle.id}", site_id=site.id))
    return out


def _challenges(numbers: list[int]) -> str:
    return f"challenge{'s' if len(numbers) > 1 else ''} {voices.words(numbers)}"


def _missing_text(missing: dict[int, list[str]]) -> str:
    """"the carer perspective, and the lived experience perspective on challenge 7"."""
    turned = voices.by_perspective(missing)
    everywhere = [p for p, numbers in turned.items() if len(numbers) == len(CHALLENGE_NUMBERS)]
    parts = []
    if everywhere:
        names = [PERSPECTIVE_LABELS.get(p, p).lower() for p in sorted(everywhere)]
        parts.append(f"the {voices.words_of(names)} perspective{'s' if len(names) > 1 else ''}")
    for p, numbers in turned.items():
        if p not in everywhere:
            parts.append(f"the {PERSPECTIVE_LABELS.get(p, p).lower()} perspective on "
                         f"{_challenges(numbers)}")
    return ", and from ".join(parts)


def facilitator_tasks(session: Session, principal: Principal) -> list[Task]:
    """For the sites of the learning sets someone facilitates."""
    set_ids = sorted(principal.facilitated_set_ids)
    if not set_ids:
        return []
    site_ids = list(session.exec(select(Site.id).where(
        col(Site.learning_set_id).in_(set_ids), col(Site.archived_at).is_(None))).all())
    cycles = open_cycles(session, site_ids)
    tasks = _stalled(cycles)
    assessing = [c.id for c, _ in cycles if c.stage == Stage.assess and not c.signed_off_at]
    # Once someone has rated: each challenge lacking a perspective the site has among its
    # members (the rule of the consensus page; a "don't know" is an answer).
    answered = voices.heard(session, assessing)
    among = voices.present(session, assessing)
    for cycle, site in cycles:
        if cycle.id in assessing and answered[cycle.id]:
            missing = voices.gaps(answered[cycle.id], among[cycle.id])
            if missing:
                tasks.append(Task("missing_voice", f"No ratings yet from {_missing_text(missing)} "
                                  f"in cycle {cycle.number} of {site.name}",
                                  f"/cycles/{cycle.id}/facilitator", site_id=site.id))
    signed = [c.id for c, _ in cycles if c.signed_off_at]
    mine = set(session.exec(select(FacilitatorRating.cycle_id).where(
        col(FacilitatorRating.cycle_id).in_(signed or [-1]),
        FacilitatorRating.rater_id == principal.user.id)).all()) | set(session.exec(
            select(Feedback.cycle_id).where(col(Feedback.cycle_id).in_(signed or [-1]),
                                            Feedback.author_id == principal.user.id)).all())
    for cycle, site in cycles:
        if cycle.id in signed and cycle.id not in mine:
            tasks.append(Task("feedback_due", f"Give your rating or feedback on the signed-off "
                              f"assessment of cycle {cycle.number} of {site.name}",
                              f"/cycles/{cycle.id}/facilitator", site_id=site.id))
    nxt = session.exec(select(Meeting, LearningSet.name).join(
        LearningSet, LearningSet.id == Meeting.learning_set_id).where(
        col(Meeting.learning_set_id).in_(set_ids), Meeting.held_on >= clock.today())
        .order_by(Meeting.held_on)).first()
    if nxt:
        meeting, set_name = nxt
        tasks.append(Task("meeting", f"Next meeting of {set_name}: {meeting.title}, "
                          f"{uk_words(meeting.held_on)}", f"/learning-sets/{meeting.learning_set_id}",
                          due_on=meeting.held_on))
    return tasks


def programme_tasks(session: Session) -> list[Task]:
    """Across the whole programme: what needs attention."""
    today = clock.today()
    site_ids = list(session.exec(select(Site.id).where(col(Site.archived_at).is_(None))).all())
    cycles = open_cycles(session, site_ids)
    tasks = _stalled(cycles)
    for cycle, site in cycles:
        if cycle.review_due_on and cycle.review_due_on < today:
            tasks.append(Task("review_due", f"The review of cycle {cycle.number} of {site.name} "
                              f"was due on {uk_words(cycle.review_due_on)}", f"/cycles/{cycle.id}",
                              due_on=cycle.review_due_on, site_id=site.id))
    signed = [c.id for c, _ in cycles if c.signed_off_at]
    # As the programme view shows it: the challenges no one with lived experience answered.
    unheard = voices.not_heard_from(session, signed)
    for cycle, site in cycles:
        numbers = unheard.get(cycle.id)
        if numbers:
            where = "" if len(numbers) == len(CHALLENGE_NUMBERS) else f" on {_challenges(numbers)}"
            tasks.append(Task("missing_voice", f"Cycle {cycle.number} of {site.name} was signed "
                              f"off with no rating from anyone with lived experience{where}",
                              f"/cycles/{cycle.id}/consensus", site_id=site.id))
    for site in session.exec(select(Site).where(
            col(Site.archived_at).is_(None),
            Site.consultancy_days_used > Site.consultancy_days_allocated)
            .order_by(Site.name)).all():
        tasks.append(Task("consultancy_over", f"{site.name} has used "
                          f"{site.consultancy_days_used} consultancy days of the "
                          f"{site.consultancy_days_allocated} allocated", f"/sites/{site.id}",
                          site_id=site.id))
    tasks.extend(_quiet_measures(session, today))
    return tasks


def _quiet_measures(session: Session, today: date) -> list[Task]:
    """Measures a site reported on, then stopped for three periods or more."""
    names = dict(session.exec(select(Site.id, Site.name).where(
        col(Site.archived_at).is_(None))).all())
    rows = sorted((r for r in values.last_entered(session) if r[0] in names),
                  key=lambda r: names[r[0]])
    out = []
    for site_id, measure, last in rows:
        site_name = names[site_id]
        ended = periods.last_complete(today, measure.frequency)
        quiet = len(periods.between(periods.following(last, measure.frequency), ended,
                                    measure.frequency)) if last < ended else 0
        if quiet >= QUIET_PERIODS:
            out.append(Task("values_due", f"{measure.name} ({site_name}): no values for "
                            f"{quiet} periods", f"/sites/{site_id}/measures/{measure.id}/data",
                            site_id=site_id))
    return out


def all_tasks(session: Session, principal: Principal) -> list[Task]:
    """Everything that needs this person now, in the order of their roles."""
    tasks = group_tasks(session, principal)
    tasks += facilitator_tasks(session, principal)
    if principal.is_programme:
        tasks += programme_tasks(session)
    return tasks
