"""Writing and reading the audit trail. Rows are added to the caller's transaction."""

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, col, func, select

from imroc.clock import utcnow
from imroc.models import AuditEvent, User


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


def reopenings(session: Session, *, cycle_id: int) -> list[tuple[datetime, str, str]]:
    """When a cycle's signed-off assessment was reopened, by whom and why, oldest first:
    shown to everyone who may see the cycle."""
    rows = session.exec(select(AuditEvent, User.name).join(
        User, col(User.id) == AuditEvent.actor_id, isouter=True).where(
        AuditEvent.entity == "cycle", AuditEvent.entity_id == str(cycle_id),
        AuditEvent.action == "reopen").order_by(col(AuditEvent.id))).all()
    return [(e.occurred_at, name or "The system", (e.after or {}).get("reason", ""))
            for e, name in rows]
