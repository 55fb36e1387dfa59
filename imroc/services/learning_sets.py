"""Learning sets: their sites, facilitators and meetings."""

import secrets
from datetime import date

from sqlmodel import Session, col, delete, select

from imroc.clock import utcnow
from imroc.errors import Conflict, Invalid
from imroc.models import LearningSet, LearningSetFacilitator, Meeting, Site, User
from imroc.models.site import (
    LearningSetCreate,
    LearningSetPublic,
    LearningSetUpdate,
    MeetingCreate,
    MeetingPublic,
)
from imroc.services import audit
from imroc.services.access import (
    Principal,
    ensure_add_meeting,
    ensure_manage_learning_sets,
    ensure_view_learning_set,
)

SET_FIELDS = ("name", "region", "archived_at")


def facilitator_ids(session: Session, ids: list[int]) -> dict[int, list[int]]:
    """Facilitator user ids per learning set, for many sets in one query."""
    out: dict[int, list[int]] = {i: [] for i in ids}
    rows = session.exec(select(LearningSetFacilitator).where(
        col(LearningSetFacilitator.learning_set_id).in_(ids or [-1]))).all()
    for row in rows:
        out[row.learning_set_id].append(row.user_id)
    return {k: sorted(v) for k, v in out.items()}


def public(session: Session, ls: LearningSet, *, meetings: bool = False) -> LearningSetPublic:
    return LearningSetPublic(
        id=ls.id, name=ls.name, region=ls.region, archived=ls.archived_at is not None,
        version=ls.version, facilitator_ids=facilitator_ids(session, [ls.id])[ls.id],
        meetings=[MeetingPublic.model_validate(m, from_attributes=True)
                  for m in list_meetings(session, ls=ls)] if meetings else [],
    )


def list_learning_sets(session: Session, *, principal: Principal,
                       include_archived: bool = False) -> list[LearningSet]:
    query = select(LearningSet).order_by(col(LearningSet.name))
    if not include_archived:
        query = query.where(col(LearningSet.archived_at).is_(None))
    if not principal.is_programme:
        query = query.where(col(LearningSet.id).in_(list(principal.facilitated_set_ids) or [-1]))
    return list(session.exec(query).all())


def get_learning_set(session: Session, *, learning_set_id: int, principal: Principal) -> LearningSet:
    return ensure_view_learning_set(principal, session.get(LearningSet, learning_set_id))


def list_meetings(session: Session, *, ls: LearningSet) -> list[Meeting]:
    return list(session.exec(select(Meeting).where(Meeting.learning_set_id == ls.id)
                             .order_by(col(Meeting.held_on))).all())


def list_set_sites(session: Session, *, ls: LearningSet,
                   include_archived: bool = True) -> list[Site]:
    """The set's sites by name. Without archived ones, this is the order the anonymised
    letters follow (Site A, B...) on the dashboard, its report, exports and measures."""
    query = select(Site).where(Site.learning_set_id == ls.id)
    if not include_archived:
        query = query.where(col(Site.archived_at).is_(None))
    return list(session.exec(query.order_by(col(Site.name))).all())


def _check(session: Session, *, name: str | None, facilitators: list[int] | None,
           set_id: int | None) -> None:
    errors: dict[str, str] = {}
    if name is not None:
        clash = session.exec(select(LearningSet.id).where(LearningSet.name == name.strip())).first()
        if clash is not None and clash != set_id:
            errors["name"] = "Another learning set already has this name"
    if facilitators:
        found = set(session.exec(select(User.id).where(col(User.id).in_(facilitators))).all())
        missing = [str(i) for i in facilitators if i not in found]
        if missing:
            errors["facilitator_ids"] = f"No person has the id {', '.join(missing)}"
    if errors:
        raise Invalid(errors)


def _set_facilitators(session: Session, ls: LearningSet, ids: list[int]) -> None:
    session.exec(delete(LearningSetFacilitator).where(
        LearningSetFacilitator.learning_set_id == ls.id))
    for user_id in sorted(set(ids)):
        session.add(LearningSetFacilitator(learning_set_id=ls.id, user_id=user_id))


def create_learning_set(session: Session, *, data: LearningSetCreate,
                        principal: Principal) -> LearningSet:
    ensure_manage_learning_sets(principal)
    ls = add_learning_set(session, data=data, actor=principal.user)
    session.commit()
    return ls


def add_learning_set(session: Session, *, data: LearningSetCreate, actor: User | None,
                     action: str = "create") -> LearningSet:
    """The one way a learning set comes to be, in the caller's transaction (it commits)."""
    _check(session, name=data.name, facilitators=data.facilitator_ids, set_id=None)
    ls = LearningSet(name=data.name.strip(), region=data.region.strip())
    session.add(ls)
    session.flush()
    _set_facilitators(session, ls, data.facilitator_ids)
    after = audit.snapshot(ls, SET_FIELDS) | {"facilitator_ids": sorted(set(data.facilitator_ids))}
    audit.record(session, actor=actor, action=action, entity="learning_set",
                 entity_id=ls.id, after=after)
    return ls


def update_learning_set(session: Session, *, ls: LearningSet, data: LearningSetUpdate,
                        principal: Principal) -> LearningSet:
    ensure_manage_learning_sets(principal)
    if data.version is not None and data.version != ls.version:
        raise Conflict("Someone else changed this learning set while you were editing it",
                       current=public(session, ls))
    changes = data.model_dump(exclude_unset=True, exclude={"version", "archived", "facilitator_ids"})
    if "name" in changes and changes["name"] is None:
        raise Invalid({"name": "Enter the learning set's name"})
    _check(session, name=changes.get("name"), facilitators=data.facilitator_ids, set_id=ls.id)
    old_facilitators = facilitator_ids(session, [ls.id])[ls.id]
    before = audit.snapshot(ls, SET_FIELDS) | {"facilitator_ids": old_facilitators}
    for key, value in changes.items():
        setattr(ls, key, (value or "").strip())
    if data.archived is not None:
        ls.archived_at = (ls.archived_at or utcnow()) if data.archived else None
    new_facilitators = old_facilitators
    if data.facilitator_ids is not None:
        new_facilitators = sorted(set(data.facilitator_ids))
        _set_facilitators(session, ls, new_facilitators)
    after = audit.snapshot(ls, SET_FIELDS) | {"facilitator_ids": new_facilitators}
    if after == before:
        session.rollback()
        return ls
    ls.version += 1
    ls.updated_at = utcnow()
    session.add(ls)
    audit.record(session, actor=principal.user, action="update", entity="learning_set",
                 entity_id=ls.id, before=before, after=after)
    session.commit()
    return ls


def create_meeting(session: Session, *, ls: LearningSet, data: MeetingCreate,
                   principal: Principal) -> Meeting:
    """Record a dated meeting of the learning set."""
    ensure_add_meeting(principal, ls)
    meeting = add_meeting(session, learning_set_id=ls.id, held_on=data.held_on,
                          title=data.title, actor=principal.user)
    session.commit()
    return meeting


def add_meeting(session: Session, *, learning_set_id: int, held_on: date, title: str,
                actor: User | None, action: str = "create") -> Meeting:
    """The one way a meeting comes to be: the row and its audit row, in the caller's
    transaction (the caller has checked who may, and commits)."""
    meeting = Meeting(learning_set_id=learning_set_id, held_on=held_on, title=title.strip())
    session.add(meeting)
    session.flush()
    audit.record(session, actor=actor, action=action, entity="meeting", entity_id=meeting.id,
                 after={"learning_set_id": learning_set_id, "held_on": held_on.isoformat(),
                        "title": meeting.title})
    return meeting


def shuffle_letters(session: Session, *, ls: LearningSet, principal: Principal) -> None:
    """A new random order for the letters that hide the set's site names: after it, Site A
    is probably another site, on every page, report and export of the set."""
    ensure_manage_learning_sets(principal)
    ls.letter_seed = secrets.token_hex(16)
    ls.version += 1
    session.add(ls)
    audit.record(session, actor=principal.user, action="shuffle_letters", entity="learning_set",
                 entity_id=ls.id)
    session.commit()
