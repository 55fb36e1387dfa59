"""Writing and reading the audit trail. Rows are added to the caller's transaction."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, col, func, select

from imroc.clock import utcnow
from imroc.models import AuditEvent, Cycle, LearningSetFacilitator, Rating, Site, User
from imroc.services import access, anonymise
from imroc.services.access import Principal

PERSONAL = ("email", "name")  # what names a person in an event's before and after


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """A JSON-ready copy of some fields of a record, for before/after."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        out[name] = value
    return out


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: Any,
    site_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit event to the current transaction (the caller commits); `at` is when it
    happened, for work recorded afterwards (now when omitted)."""
    event = AuditEvent(
        occurred_at=at or utcnow(),
        actor_id=actor.id if actor else None,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        site_id=site_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event


def list_events(
    session: Session, *, site_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[AuditEvent, str | None]], int]:
    """A page of events, newest first, with the actor's name, and the total count."""
    query = select(AuditEvent, User.name).join(User, col(User.id) == AuditEvent.actor_id, isouter=True)
    count = select(func.count()).select_from(AuditEvent)
    if site_id is not None:
        query = query.where(AuditEvent.site_id == site_id)
        count = count.where(AuditEvent.site_id == site_id)
    query = query.order_by(col(AuditEvent.id).desc()).limit(limit).offset(offset)
    rows = [(event, name) for event, name in session.exec(query).all()]
    return rows, session.exec(count).one()


@dataclass(frozen=True)
class TrailRow:
    """One event as a reader of the trail may see it."""

    event: AuditEvent
    who: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def trail(session: Session, *, principal: Principal, site: Site | None, page: int = 1,
          per_page: int = 50) -> tuple[list[TrailRow], int]:
    """A page of the trail (a site's, or everything for administrators), newest first, and
    the total. Whoever may not know who rated (a facilitator) sees the site's raters as
    Rater 1, 2... (the numbers of its exports), its other people as "A steering group
    member", and no names or emails in the changes; the programme team and facilitators
    keep their names."""
    access.ensure_read_audit(principal, site)
    rows, total = list_events(session, site_id=site.id if site else None, limit=per_page,
                              offset=(page - 1) * per_page)
    if site is None or access.can_identify_raters(principal, site):
        return [TrailRow(e, who or "System", e.before, e.after) for e, who in rows], total
    raters = session.exec(select(User.id, User.email).distinct()
                          .join(Rating, col(Rating.rater_id) == User.id)
                          .join(Cycle, col(Cycle.id) == Rating.cycle_id)
                          .where(Cycle.site_id == site.id)).all()
    numbers = anonymise.rater_numbers(site.id, [email for _id, email in raters])
    pseudonyms = {user_id: f"Rater {numbers[email]}" for user_id, email in raters}
    actors = {e.actor_id for e, _who in rows if e.actor_id is not None}
    named = set(session.exec(select(User.id).where(
        col(User.id).in_(actors or [-1]), col(User.global_role).is_not(None))).all())
    named |= set(session.exec(select(LearningSetFacilitator.user_id).where(
        LearningSetFacilitator.learning_set_id == site.learning_set_id)).all())

    def who(event: AuditEvent, name: str | None) -> str:
        if event.actor_id is None:
            return "System"
        if event.actor_id in named:
            return name or "System"
        return pseudonyms.get(event.actor_id, "A steering group member")

    def hide(values: dict[str, Any] | None) -> dict[str, Any] | None:
        if values is None:
            return None
        return {k: ("hidden" if k in PERSONAL and v else v) for k, v in values.items()}

    return [TrailRow(e, who(e, name), hide(e.before), hide(e.after)) for e, name in rows], total


def reopenings(session: Session, *, cycle_id: int) -> list[tuple[datetime, str, str]]:
    """When a cycle's signed-off assessment was reopened, by whom and why, oldest first:
    shown to everyone who may see the cycle."""
    rows = session.exec(select(AuditEvent, User.name).join(
        User, col(User.id) == AuditEvent.actor_id, isouter=True).where(
        AuditEvent.entity == "cycle", AuditEvent.entity_id == str(cycle_id),
        AuditEvent.action == "reopen").order_by(col(AuditEvent.id))).all()
    return [(e.occurred_at, name or "The system", (e.after or {}).get("reason", ""))
            for e, name in rows]
