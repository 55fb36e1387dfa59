"""PDSA cycles: opening, the PDSA record, moving through the stages, closing."""

from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from imroc import clock
from imroc.clock import utcnow
from imroc.errors import Conflict, Invalid, NotFound
from imroc.models import Action, ConsensusScore, Cycle, Meeting, Priority, Site
from imroc.models.action import UNFINISHED
from imroc.models.cycle import (
    PDSA_FIELDS,
    STAGE_LABELS,
    STAGE_ORDER,
    CycleCreate,
    CyclePublic,
    CycleUpdate,
    Stage,
)
from imroc.services import audit, frameworks, notices
from imroc.services.access import (
    Principal,
    ensure_group_member,
    ensure_lead,
    ensure_link_meeting,
    ensure_view_site,
)

REVIEW_AFTER = timedelta(days=91)
T = TypeVar("T")
RECORD_FIELDS = PDSA_FIELDS + ("review_due_on", "meeting_id")


def public(cycle: Cycle) -> CyclePublic:
    return CyclePublic(**cycle.model_dump(), signed_off=cycle.signed_off_at is not None)


# Built once: every request about a cycle reads it this way.
_CYCLE_AND_SITE = (select(Cycle, Site).join(Site, col(Site.id) == Cycle.site_id)
                   .where(Cycle.id == bindparam("cycle_id")))


def get_cycle(session: Session, *, cycle_id: int, principal: Principal) -> tuple[Cycle, Site]:
    """A cycle and its site, 404 when unknown or the site is not visible to this person."""
    found = session.exec(_CYCLE_AND_SITE, params={"cycle_id": cycle_id}).first()
    if found is None:
        raise NotFound("Cycle not found")
    cycle, site = found
    try:
        ensure_view_site(principal, site)
    except NotFound:
        raise NotFound("Cycle not found") from None
    return cycle, site


def get_in_cycle(session: Session, model: type[T], *, row_id: int, principal: Principal,
                    what: str) -> tuple[T, Cycle, Site]:
    """A row that belongs to a cycle (an action, a piece of evidence) with its cycle and
    site; 404 "`what` not found" when unknown or its site is not visible to this person."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} not found")
    try:
        cycle, site = get_cycle(session, cycle_id=row.cycle_id, principal=principal)
    except NotFound:
        raise NotFound(f"{what} not found") from None
    return row, cycle, site


def list_cycles(session: Session, *, site: Site) -> list[Cycle]:
    return list(session.exec(select(Cycle).where(Cycle.site_id == site.id)
                             .order_by(col(Cycle.number))).all())


def open_cycle_of(session: Session, *, site: Site) -> Cycle | None:
    return session.exec(select(Cycle).where(Cycle.site_id == site.id,
                                            Cycle.stage != Stage.closed.value)).first()


def meeting_options(session: Session, *, site: Site) -> list[Meeting]:
    """The meetings of the site's learning set, which a new cycle may be tied to."""
    if site.learning_set_id is None:
        return []
    return list(session.exec(select(Meeting).where(Meeting.learning_set_id == site.learning_set_id)
                             .order_by(col(Meeting.held_on))).all())


def previous_cycle(session: Session, cycle: Cycle) -> Cycle | None:
    return session.exec(select(Cycle).where(Cycle.site_id == cycle.site_id,
                                            Cycle.number == cycle.number - 1)).first()


def _start(session: Session, *, site: Site, started_on: date, review_due_on: date | None,
           meeting_id: int | None, at: datetime | None = None) -> Cycle:
    """Add cycle N+1 with the last agreed consensus offered as its starting point."""
    last = session.exec(select(func.max(Cycle.number)).where(Cycle.site_id == site.id)).one() or 0
    cycle = Cycle(site_id=site.id, number=last + 1, framework_id=frameworks.current(session).id,
                  started_on=started_on, review_due_on=review_due_on or started_on + REVIEW_AFTER,
                  meeting_id=meeting_id, learning_set_id=site.learning_set_id)
    if at is not None:
        cycle.created_at = cycle.updated_at = cycle.stage_changed_at = at
    session.add(cycle)
    session.flush()
    if last:
        prev = session.exec(select(Cycle).where(Cycle.site_id == site.id,
                                                Cycle.number == last)).one()
        for score in session.exec(select(ConsensusScore).where(
                ConsensusScore.cycle_id == prev.id)).all():
            session.add(ConsensusScore(cycle_id=cycle.id, challenge=score.challenge,
                                       level=score.level, rationale=score.rationale,
                                       to_reconfirm=True))
    return cycle


def open_cycle(session: Session, *, site: Site, data: CycleCreate, principal: Principal,
               at: datetime | None = None) -> Cycle:
    """The lead opens the site's next cycle; a site has at most one open cycle. `at` dates
    work recorded afterwards (now when omitted), as for every service taking it."""
    ensure_lead(principal, site)
    if open_cycle_of(session, site=site) is not None:
        raise Conflict("This site already has an open cycle. Close it before opening another.")
    if data.meeting_id is not None:
        meeting = session.get(Meeting, data.meeting_id)
        if meeting is None or meeting.learning_set_id != site.learning_set_id:
            raise Invalid({"meeting_id": "Select a meeting of this site's learning set"})
    started = data.started_on or (clock.uk_date_of(at) if at else clock.today())
    if data.review_due_on is not None and data.review_due_on < started:
        raise Invalid({"review_due_on": "The review date must be on or after the start date"})
    cycle = _start(session, site=site, started_on=started, review_due_on=data.review_due_on,
                   meeting_id=data.meeting_id, at=at)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("Another cycle was opened for this site at the same moment") from None
    audit.record(session, actor=principal.user, action="open", entity="cycle", entity_id=cycle.id,
                 site_id=site.id, after={"number": cycle.number, "stage": cycle.stage}, at=at)
    notices.assessment_opened(session, cycle=cycle, site=site)
    session.commit()
    return cycle


def update_record(session: Session, *, cycle: Cycle, site: Site, data: CycleUpdate,
                  principal: Principal, at: datetime | None = None) -> Cycle:
    """Write the PDSA record (aim, prediction, measures, notes of each stage) and the
    learning-set meeting the cycle is tied to (`meeting_id`, null unlinks)."""
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    linking = "meeting_id" in changes
    if linking:
        ensure_link_meeting(principal, site, cycle)
    if set(changes) - {"meeting_id"} or not linking:
        ensure_group_member(principal, site)
        if cycle.stage == Stage.closed:
            raise Conflict("This cycle is closed; its record can no longer change")
    if data.version is not None and data.version != cycle.version:
        raise Conflict("Someone else changed this cycle's record while you were editing it",
                       current=public(cycle))
    review = changes.get("review_due_on")
    if review is not None and review < cycle.started_on:
        raise Invalid({"review_due_on": "The review date must be on or after the start date"})
    if linking and changes["meeting_id"] is not None:
        meeting = session.get(Meeting, changes["meeting_id"])
        if meeting is None or meeting.learning_set_id != cycle.learning_set_id \
                or cycle.learning_set_id is None:
            raise Invalid({"meeting_id": "Select a meeting of the learning set this cycle "
                                         "runs in"})
    before = audit.snapshot(cycle, RECORD_FIELDS)
    values = {k: (v or "").strip() if k in PDSA_FIELDS else v for k, v in changes.items()}
    values = {k: v for k, v in values.items() if getattr(cycle, k) != v}
    if not values:
        return cycle
    # Compare-and-set on the version in the UPDATE itself, so that two saves of the same
    # version can never both win (a check in Python alone let both through on PostgreSQL).
    stmt = update(Cycle).where(col(Cycle.id) == cycle.id)
    if data.version is not None:
        stmt = stmt.where(col(Cycle.version) == data.version)
    result = session.execute(stmt.values(**values, version=Cycle.version + 1,
                                         updated_at=at or utcnow()))
    if result.rowcount != 1:
        session.rollback()
        session.refresh(cycle)
        raise Conflict("Someone else changed this cycle's record while you were editing it",
                       current=public(cycle))
    session.refresh(cycle)
    after = audit.snapshot(cycle, RECORD_FIELDS)
    audit.record(session, actor=principal.user, action="update", entity="cycle",
                 entity_id=cycle.id, site_id=site.id,
                 before={k: v for k, v in before.items() if before[k] != after[k]},
                 after={k: v for k, v in after.items() if before[k] != after[k]}, at=at)
    session.commit()
    return cycle


def blockers(session: Session, cycle: Cycle) -> list[str]:
    """What must be done before the cycle can move to its next stage, in plain English."""
    stage = Stage(cycle.stage)
    reasons: list[str] = []
    if stage == Stage.assess and cycle.signed_off_at is None:
        reasons.append("The consensus scores have not been signed off yet.")
    elif stage == Stage.plan:
        priorities = session.exec(select(Priority).where(Priority.cycle_id == cycle.id)).all()
        if not priorities:
            reasons.append("Choose at least one priority.")
        actions = {a.challenge for a in session.exec(
            select(Action).where(Action.cycle_id == cycle.id)).all()}
        missing = [p.challenge for p in priorities if p.challenge not in actions]
        if missing:
            reasons.append("Add at least one action under every priority (challenge "
                           + ", ".join(str(c) for c in sorted(missing)) + ").")
        if not cycle.aim.strip():
            reasons.append("Write the aim of this cycle.")
        if not cycle.prediction.strip():
            reasons.append("Write what you predict will happen.")
    elif stage == Stage.do and not cycle.do_notes.strip():
        reasons.append("Record what happened during this cycle.")
    elif stage == Stage.study and not cycle.study_notes.strip():
        reasons.append("Write what you learned, comparing the result with your prediction.")
    elif stage == Stage.act:
        open_titles = session.exec(select(Action.title).where(
            Action.cycle_id == cycle.id, col(Action.outcome).is_(None))
            .order_by(col(Action.id))).all()
        if open_titles:
            named = ", ".join(f"“{t}”" for t in open_titles[:5])
            more = f" and {len(open_titles) - 5} more" if len(open_titles) > 5 else ""
            reasons.append(f"Give every action an outcome (adopt, adapt or abandon): "
                           f"{len(open_titles)} still without one: {named}{more}.")
        if not cycle.act_notes.strip():
            reasons.append("Write the decision and next steps.")
    elif stage == Stage.closed:
        reasons.append("This cycle is closed.")
    return reasons


def advance(session: Session, *, cycle: Cycle, site: Site, principal: Principal,
            from_stage: str | None = None, at: datetime | None = None) -> Cycle:
    """Move to the next stage when this one is complete; closing opens the next cycle.

    `from_stage` is the stage the person saw: a second press of the same button (or a page
    left open while someone else moved the cycle on) is refused instead of skipping a stage.
    """
    ensure_lead(principal, site)
    if from_stage is not None and from_stage != cycle.stage:
        raise Conflict(f"This cycle has already moved on to the "
                       f"{STAGE_LABELS[Stage(cycle.stage)]} stage.")
    reasons = blockers(session, cycle)
    if reasons:
        raise Conflict(f"{STAGE_LABELS[Stage(cycle.stage)]} is not complete. " + " ".join(reasons))
    before = cycle.stage
    cycle.stage = STAGE_ORDER[STAGE_ORDER.index(Stage(cycle.stage)) + 1].value
    cycle.version += 1
    now = at or utcnow()
    cycle.updated_at = cycle.stage_changed_at = now
    session.add(cycle)
    audit.record(session, actor=principal.user, action="advance", entity="cycle",
                 entity_id=cycle.id, site_id=site.id, before={"stage": before},
                 after={"stage": cycle.stage}, at=now)
    if cycle.stage == Stage.closed:
        cycle.closed_at = now
        session.flush()  # the partial unique index must see this cycle closed first
        nxt = _carry_over(session, cycle=cycle, site=site, principal=principal, at=now)
        notices.cycle_closed(session, cycle=cycle, site=site)
        notices.assessment_opened(session, cycle=nxt, site=site)
    session.commit()
    return cycle


def carries_on(action: Action) -> bool:
    """Whether closing the cycle carries this action into the next one: an unfinished action
    goes on (an adapted change, to be tested again), unless its outcome ended it: abandoned,
    or adopted (then it is done)."""
    return action.status in {s.value for s in UNFINISHED} and action.outcome not in (
        "abandon", "adopt")


def settled_status(action: Action) -> str:
    """An action's status once its cycle closes: adopted is done, abandoned is dropped."""
    if action.status in {s.value for s in UNFINISHED}:
        return {"adopt": "done", "abandon": "dropped"}.get(action.outcome or "", action.status)
    return action.status


def _carry_over(session: Session, *, cycle: Cycle, site: Site, principal: Principal,
                at: datetime) -> Cycle:
    """Open the next cycle on the day this one closed, carrying on its unfinished actions."""
    nxt = _start(session, site=site, started_on=clock.uk_date_of(at), review_due_on=None,
                 meeting_id=None, at=at)
    plan = session.exec(select(Action).where(Action.cycle_id == cycle.id)
                        .order_by(col(Action.id))).all()
    unfinished = [a for a in plan if carries_on(a)]
    for action in plan:
        settled = settled_status(action)
        if settled != action.status:  # adopted is done, abandoned is dropped
            action.status = settled
            action.version += 1
            session.add(action)
    for action in unfinished:
        session.add(Action(cycle_id=nxt.id, challenge=action.challenge, title=action.title,
                           owner=action.owner, owner_id=action.owner_id,
                           due_on=action.due_on,
                           status=action.status,
                           notes=action.notes, carried_from_id=action.id,
                           created_at=at, updated_at=at))
    session.flush()
    audit.record(session, actor=principal.user, action="open", entity="cycle", entity_id=nxt.id,
                 site_id=site.id, after={"number": nxt.number, "stage": nxt.stage,
                                         "carried_actions": [a.id for a in unfinished]}, at=at)
    return nxt
