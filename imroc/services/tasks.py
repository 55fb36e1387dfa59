"""What needs each person now: the to-do on their home page and at GET /api/v1/me/tasks.

Each item links to the place to act. A steering group member sees their ratings, their
actions and their site's measures; a lead also sees who has not rated, the consensus, the
stage's next step, the review date and the site's overdue actions. Facilitators and the
programme team get theirs from services/oversight.py. A fixed number of queries, plus two
for each of the person's own sites (its measures and their values).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from imroc import clock
from imroc.models import Action, Cycle, Membership, Priority, Rating, Site, User
from imroc.models.action import UNFINISHED
from imroc.models.cycle import Stage
from imroc.models.framework import CHALLENGE_COUNT
from imroc.models.user import PERSPECTIVE_LABELS, SiteRole
from imroc.services.access import Principal
from imroc.services.measures import definitions as measures
from imroc.services.measures import values

SOON = timedelta(days=14)


@dataclass
class Task:
    """One thing someone should do, and where."""

    kind: str
    title: str
    url: str
    due_on: date | None = None
    site_id: int | None = None


def uk_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def open_cycles(session: Session, site_ids: list[int]) -> list[tuple[Cycle, Site]]:
    if not site_ids:
        return []
    return list(session.exec(select(Cycle, Site).join(Site, Site.id == Cycle.site_id).where(
        col(Cycle.site_id).in_(site_ids), Cycle.stage != Stage.closed.value,
        col(Site.archived_at).is_(None)).order_by(Site.name)).all())


def _rated(session: Session, cycle_ids: list[int]) -> dict[int, dict[int, int]]:
    """Per open assessment, how many challenges each person has rated."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    if cycle_ids:
        for cycle_id, rater_id, n in session.exec(select(
                Rating.cycle_id, Rating.rater_id, func.count()).where(
                col(Rating.cycle_id).in_(cycle_ids)).group_by(Rating.cycle_id,
                                                              Rating.rater_id)).all():
            out[cycle_id][rater_id] = n
    return out


def group_tasks(session: Session, principal: Principal) -> list[Task]:
    """A member's and a lead's to-do across their sites."""
    me = principal.user
    today = clock.today()
    cycles = open_cycles(session, sorted(principal.memberships))
    assessing = [c.id for c, _ in cycles if c.stage == Stage.assess and not c.signed_off_at]
    rated = _rated(session, assessing)
    lead_sites = {sid for sid, m in principal.memberships.items()
                  if m.role == SiteRole.site_lead}
    members: dict[int, list[tuple[User, str]]] = defaultdict(list)
    if lead_sites:
        for user, perspective, site_id in session.exec(select(
                User, Membership.perspective, Membership.site_id).join(
                Membership, Membership.user_id == User.id).where(
                col(Membership.site_id).in_(lead_sites), col(User.is_active).is_(True))
                .order_by(User.name)).all():
            members[site_id].append((user, perspective))
    cycle_ids = [c.id for c, _ in cycles]
    actions = list(session.exec(select(Action).where(
        col(Action.cycle_id).in_(cycle_ids or [-1]),
        col(Action.status).in_([s.value for s in UNFINISHED]),
        col(Action.due_on).is_not(None), col(Action.due_on) <= today + SOON)
        .order_by(Action.due_on)).all())
    planned = dict(session.exec(select(Priority.cycle_id, func.count()).where(
        col(Priority.cycle_id).in_(cycle_ids or [-1])).group_by(Priority.cycle_id)).all())
    undecided = dict(session.exec(select(Action.cycle_id, func.count()).where(
        col(Action.cycle_id).in_(cycle_ids or [-1]), col(Action.outcome).is_(None))
        .group_by(Action.cycle_id)).all())

    tasks: list[Task] = []
    for cycle, site in cycles:
        where = f"cycle {cycle.number} of {site.name}"
        lead = site.id in lead_sites
        if cycle.id in assessing:
            done = rated[cycle.id].get(me.id, 0)
            if done < CHALLENGE_COUNT:
                tasks.append(Task("rate", f"Rate the ten challenges for {where}: {done} of "
                                  f"{CHALLENGE_COUNT} rated", f"/cycles/{cycle.id}/rate",
                                  site_id=site.id))
            if lead:
                waiting = [f"{u.name} ({PERSPECTIVE_LABELS.get(p, p).lower()})"
                           for u, p in members[site.id] if u.id not in rated[cycle.id]]
                if waiting:
                    tasks.append(Task("not_rated_yet", f"Not rated yet for {where}: "
                                      + ", ".join(waiting), f"/cycles/{cycle.id}/consensus",
                                      site_id=site.id))
                if rated[cycle.id]:
                    tasks.append(Task("agree_consensus", f"Agree the consensus for {where} "
                                      f"({len(rated[cycle.id])} of {len(members[site.id])} "
                                      "have rated)",
                                      f"/cycles/{cycle.id}/consensus", site_id=site.id))
        if lead:
            step = _next_step(cycle, planned.get(cycle.id, 0), undecided.get(cycle.id, 0))
            if step:
                tasks.append(Task("stage_step", f"{step} ({where})", f"/cycles/{cycle.id}",
                                  site_id=site.id))
            if cycle.review_due_on and cycle.review_due_on <= today + SOON:
                passed = cycle.review_due_on < today
                tasks.append(Task("review_due", f"The review of {where} "
                                  f"{'was due on' if passed else 'is due on'} "
                                  f"{uk_words(cycle.review_due_on)}", f"/cycles/{cycle.id}",
                                  due_on=cycle.review_due_on, site_id=site.id))
    sites = {c.id: s for c, s in cycles}
    for action in actions:
        site = sites[action.cycle_id]
        overdue = action.due_on < today
        if action.owner_id != me.id and not (overdue and site.id in lead_sites):
            continue
        tasks.append(Task("action_overdue" if overdue else "action_due",
                          f"“{action.title}” ({site.name}) "
                          f"{'was due on' if overdue else 'is due on'} {uk_words(action.due_on)}",
                          f"/cycles/{action.cycle_id}/actions#action-{action.id}",
                          due_on=action.due_on, site_id=site.id))
    tasks.extend(_values_due(session, principal, today))
    return tasks


def _next_step(cycle: Cycle, priorities: int, undecided: int) -> str:
    if cycle.stage == Stage.plan and not priorities:
        return "Choose the priorities"
    if cycle.stage == Stage.study and undecided:
        return (f"Record an outcome (adopt, adapt or abandon) for {undecided} "
                f"action{'s' if undecided != 1 else ''}")
    if cycle.stage == Stage.act:
        return "Decide what to do next and close the cycle"
    return ""


def _values_due(session: Session, principal: Principal, today: date) -> list[Task]:
    out = []
    for site_id in sorted(principal.memberships):
        site = session.get(Site, site_id)
        if site is None or site.archived_at is not None:
            continue
        for item in values.due(session, site=site, today=today,
                               measures=measures.site_measures(session, site=site)):
            if item.missing:
                count = len(item.missing)
                out.append(Task("values_due", f"{item.measure.name} ({site.name}): {count} "
                                f"period{'s' if count != 1 else ''} without a value",
                                f"/sites/{site.id}/measures/{item.measure.id}/data",
                                site_id=site.id))
    return out
