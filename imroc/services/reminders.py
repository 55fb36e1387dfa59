"""Reminders, written by `imroc reminders send` every few minutes: review dates near or
passed, actions due or overdue, measure values due, and the weekly digests.

Each reminder has a key (what, and for which date), so it is written once per person however
often the command runs; two servers running it at the same moment take turns (an advisory
lock on PostgreSQL, the write lock on SQLite), and the e-mail goes once (services/mail.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, select

from imroc import periods
from imroc.clock import utcnow
from imroc.models import Action, Cycle, Mail, Membership, Notification, Site
from imroc.models.action import UNFINISHED
from imroc.models.cycle import Stage
from imroc.models.notification import KIND_LABELS
from imroc.models.notification import NotificationKind as Kind
from imroc.models.user import User
from imroc.services import mail
from imroc.services.measures import values
from imroc.services.notifications import notify, unsubscribe_token

REVIEW_NEAR = timedelta(days=7)
ACTION_NEAR = timedelta(days=3)
LOCK_ID = 0x1A7C0_5EED  # any fixed number: one reminder run at a time on one PostgreSQL


@dataclass
class Reminder:
    kind: Kind
    key: str
    title: str
    url: str
    site_id: int
    user_ids: set[int] = field(default_factory=set)


def _uk(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def plan(session: Session, *, today: date) -> list[Reminder]:
    """Every reminder that is due today (whether or not it was written before)."""
    sites = {s.id: s for s in session.exec(select(Site).where(col(Site.archived_at).is_(None)))}
    leads: dict[int, set[int]] = defaultdict(set)
    for site_id, user_id in session.exec(select(Membership.site_id, Membership.user_id).join(
            User, User.id == Membership.user_id).where(
            Membership.role == "site_lead", col(User.is_active).is_(True))).all():
        leads[site_id].add(user_id)
    out: list[Reminder] = []
    cycles = session.exec(select(Cycle).where(Cycle.stage != Stage.closed.value,
                                              col(Cycle.review_due_on) <= today + REVIEW_NEAR))
    for cycle in cycles.all():
        site = sites.get(cycle.site_id)
        if site is None:
            continue
        passed = cycle.review_due_on < today
        out.append(Reminder(
            Kind.review_due, f"review_{'passed' if passed else 'near'}:{cycle.id}:"
            f"{cycle.review_due_on}", f"The review of cycle {cycle.number} of {site.name} "
            f"{'was' if passed else 'is'} due on {_uk(cycle.review_due_on)}",
            f"/cycles/{cycle.id}", site.id, set(leads[site.id])))
    for action, cycle in session.exec(select(Action, Cycle).join(
            Cycle, Cycle.id == Action.cycle_id).where(
            Cycle.stage != Stage.closed.value, col(Action.due_on).is_not(None),
            col(Action.due_on) <= today + ACTION_NEAR,
            col(Action.status).in_([s.value for s in UNFINISHED]))).all():
        site = sites.get(cycle.site_id)
        if site is None:
            continue
        overdue = action.due_on < today
        owner = {action.owner_id} if action.owner_id else set()
        out.append(Reminder(
            Kind.action_overdue if overdue else Kind.action_due,
            f"action_{'overdue' if overdue else 'due'}:{action.id}:{action.due_on}",
            f"The action “{action.title}” ({site.name}) {'was' if overdue else 'is'} due on "
            f"{_uk(action.due_on)}", f"/cycles/{cycle.id}/actions#action-{action.id}", site.id,
            owner | (leads[site.id] if overdue else set())))
    out.extend(_values(session, today, sites, leads))
    return [r for r in out if r.user_ids]


def _values(session: Session, today: date, sites: dict[int, Site],
            leads: dict[int, set[int]]) -> list[Reminder]:
    out = []
    for site_id, measure, last in values.last_entered(session):
        ended = periods.last_complete(today, measure.frequency)
        site = sites.get(site_id)
        if site is None or last >= ended:
            continue
        label = periods.label(ended, measure.frequency)
        out.append(Reminder(Kind.values_due, f"values:{site_id}:{measure.id}:{ended}",
                            f"{measure.name} ({site.name}): the value for {label} is due",
                            f"/sites/{site_id}/measures/{measure.id}/data", site_id,
                            set(leads[site_id])))
    return out


def _take_turns(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:id)"), params={"id": LOCK_ID})


def write(session: Session, *, today: date) -> int:
    """Write the reminders due today that were not written before; how many notices."""
    _take_turns(session)
    made = 0
    for r in plan(session, today=today):
        made += notify(session, user_ids=r.user_ids, kind=r.kind, title=r.title, url=r.url,
                       key=r.key, site_id=r.site_id)
    made_digests = digests(session, today=today)
    session.commit()
    return made + made_digests


def digests(session: Session, *, today: date) -> int:
    """One summary a week for those who chose it, of the notices not yet e-mailed."""
    year, week, _ = today.isocalendar()
    waiting: dict[int, list[Notification]] = defaultdict(list)
    for notice in session.exec(select(Notification).join(
            User, User.id == Notification.user_id).where(
            User.mail_choice == "digest", col(User.is_active).is_(True),
            col(Notification.mailed_at).is_(None),
            col(Notification.created_at) >= utcnow() - timedelta(days=8))
            .order_by(Notification.id)).all():
        if notice.kind not in _muted(session, notice.user_id):
            waiting[notice.user_id].append(notice)
    made = 0
    for user_id, notices in waiting.items():
        key = f"digest-{user_id}-{year}-W{week:02d}"
        if session.exec(select(Mail.id).where(Mail.message_id.startswith(f"<{key}@"))).first():
            continue  # this week's summary has gone; the rest wait for next week's
        person = session.get(User, user_id)
        mail.queue(session, kind="digest", template="digest", key=key, to_email=person.email,
                   to_name=person.name, user_id=user_id,
                   subject=f"Your week on ImROC self-audit: {len(notices)} "
                           f"notification{'s' if len(notices) != 1 else ''}",
                   unsubscribe_url=mail.link(f"/unsubscribe/{unsubscribe_token(user_id, 'digest')}"),
                   context={"items": [(n.title, mail.link(n.url)) for n in notices],
                            "settings_url": mail.link("/account/notifications")})
        for notice in notices:
            notice.mailed_at = notice.created_at
            session.add(notice)
        made += 1
    return made


def _muted(session: Session, user_id: int) -> set[str]:
    person = session.get(User, user_id)
    return set(person.mail_muted.split(",")) & set(KIND_LABELS) if person else set()
