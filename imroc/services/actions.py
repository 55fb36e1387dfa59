"""The action plan: actions under the cycle's priorities, edited safely by several people."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import delete as sql_delete
from sqlmodel import Session, col, select

from imroc import clock
from imroc.errors import Conflict, Invalid, NotFound
from imroc.models import Action, Cycle, Membership, Priority, Site, User
from imroc.models.action import UNFINISHED, ActionCreate, ActionPublic, ActionStatus, ActionUpdate
from imroc.models.cycle import Stage
from imroc.services import audit, versioned
from imroc.services.access import Principal, ensure_group_member
from imroc.services.cycles import get_in_cycle

FIELDS = ("challenge", "title", "owner", "owner_id", "due_on", "status", "notes", "outcome")
OUTCOME_STAGES = {Stage.study, Stage.act}


def is_overdue(action: Action, today: date | None = None) -> bool:
    return (action.due_on is not None and action.due_on < (today or clock.today())
            and action.status in {s.value for s in UNFINISHED})


def public(action: Action) -> ActionPublic:
    return ActionPublic(**action.model_dump(include={"id", "cycle_id", "challenge", "title",
                                                     "owner", "owner_id", "due_on", "status",
                                                     "notes",
                                                     "outcome", "carried_from_id",
                                                     "origin_change_id", "version"}),
                        overdue=is_overdue(action))


def list_actions(session: Session, *, cycle: Cycle) -> list[Action]:
    return list(session.exec(select(Action).where(Action.cycle_id == cycle.id)
                             .order_by(col(Action.challenge), col(Action.id))).all())


def origins(session: Session, *, actions: list[Action]) -> dict[int, Cycle]:
    """For each carried-over action, the cycle it came from (one query)."""
    ids = {a.carried_from_id for a in actions if a.carried_from_id is not None}
    if not ids:
        return {}
    rows = session.exec(select(Action.id, Cycle).join(Cycle, Cycle.id == Action.cycle_id)
                        .where(col(Action.id).in_(ids))).all()
    found = {action_id: cycle for action_id, cycle in rows}
    return {a.id: found[a.carried_from_id] for a in actions if a.carried_from_id in found}


def get_action(session: Session, *, action_id: int,
               principal: Principal) -> tuple[Action, Cycle, Site]:
    """An action with its cycle and site; 404 when unknown or not visible."""
    return get_in_cycle(session, Action, row_id=action_id, principal=principal, what="Action")


def places(found: Iterable[Action], cycle_numbers: Mapping[int, int]) -> dict[int, tuple[int, int]]:
    """Each action as people know it: (its cycle's number, its place in that cycle's plan),
    the place counting 1, 2, 3... in the order the actions were added."""
    count: dict[int, int] = defaultdict(int)
    out: dict[int, tuple[int, int]] = {}
    for a in sorted(found, key=lambda a: a.id):
        count[a.cycle_id] += 1
        out[a.id] = (cycle_numbers[a.cycle_id], count[a.cycle_id])
    return out


def _ensure_editable(cycle: Cycle) -> None:
    if cycle.stage == Stage.closed:
        raise Conflict("This cycle is closed; its actions can no longer change")


def ensure_can_add(principal: Principal, site: Site, cycle: Cycle) -> None:
    """Actions are added by the site's steering group, from the plan stage until closing."""
    ensure_group_member(principal, site)
    _ensure_editable(cycle)
    if cycle.stage == Stage.assess:
        raise Conflict("Actions are added once priorities are set, at the plan stage or later")


def priority_challenges(session: Session, *, cycle: Cycle) -> set[int]:
    return set(session.exec(select(Priority.challenge).where(Priority.cycle_id == cycle.id)).all())


def create_action(session: Session, *, cycle: Cycle, site: Site, data: ActionCreate,
                  principal: Principal, at: datetime | None = None,
                  origin_change_id: int | None = None) -> Action:
    """Add an action under one of the cycle's priorities (`origin_change_id`: the shared
    change it tries here, checked by services/changes.py)."""
    ensure_can_add(principal, site, cycle)
    if data.challenge not in priority_challenges(session, cycle=cycle):
        raise Invalid({"challenge": "Choose one of this cycle's priorities"})
    owner = owner_name(session, site=site, owner_id=data.owner_id) or data.owner
    action = add_action(session, cycle_id=cycle.id, challenge=data.challenge, title=data.title,
                        owner=owner, owner_id=data.owner_id, due_on=data.due_on,
                        status=data.status.value, notes=data.notes,
                        origin_change_id=origin_change_id)
    if at is not None:
        action.created_at = action.updated_at = at
    session.flush()
    after = audit.snapshot(action, FIELDS)
    if origin_change_id is not None:
        after["origin_change_id"] = origin_change_id
    audit.record(session, actor=principal.user, action="create", entity="action",
                 entity_id=action.id, site_id=site.id, after=after, at=at)
    session.commit()
    return action


def owner_name(session: Session, *, site: Site, owner_id: int | None) -> str | None:
    """The name of an owner chosen from the site's steering group; 422 for anyone else."""
    if owner_id is None:
        return None
    member = session.exec(select(User.name).join(Membership, Membership.user_id == User.id)
                          .where(Membership.site_id == site.id, User.id == owner_id)).first()
    if member is None:
        raise Invalid({"owner_id": "Choose a member of this site's steering group, or type "
                                   "the name of someone outside it"})
    return member


def add_action(session: Session, *, cycle_id: int, challenge: int, title: str, owner: str,
               due_on: date | None, status: str, notes: str, outcome: str | None = None,
               carried_from_id: int | None = None, owner_id: int | None = None,
               origin_change_id: int | None = None) -> Action:
    """The one way an action row comes to be, in the caller's transaction (the caller has
    checked who may and the stage, flushes, audits and commits)."""
    action = Action(cycle_id=cycle_id, challenge=challenge, title=title.strip(),
                    owner=owner.strip(), owner_id=owner_id, due_on=due_on, status=status, notes=notes.strip(),
                    outcome=outcome or None, carried_from_id=carried_from_id,
                    origin_change_id=origin_change_id)
    session.add(action)
    return action


def update_action(session: Session, *, action: Action, cycle: Cycle, site: Site,
                  data: ActionUpdate, principal: Principal, at: datetime | None = None) -> Action:
    """Change an action if nobody else has since the version the person read (else 409)."""
    ensure_group_member(principal, site)
    _ensure_editable(cycle)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if changes.get("outcome") is not None and cycle.stage not in OUTCOME_STAGES:
        raise Conflict("Outcomes (adopt, adapt or abandon) are recorded at the study or act stage")
    for required in ("title", "challenge", "status"):
        if required in changes and changes[required] is None:
            raise Invalid({required: f"Enter the {required}"})
    moved_to = changes.get("challenge")
    if moved_to not in (None, action.challenge) and moved_to not in priority_challenges(
            session, cycle=cycle):
        raise Invalid({"challenge": "Choose one of this cycle's priorities"})
    if "outcome" in changes and changes["outcome"] != action.outcome:
        decided = clock.uk_date_of(at) if at is not None else clock.today()
        changes["outcome_on"] = decided if changes["outcome"] is not None else None
    if changes.get("owner_id") is not None:
        changes["owner"] = owner_name(session, site=site, owner_id=changes["owner_id"])
    elif "owner" in changes and "owner_id" not in changes:
        changes["owner_id"] = None  # a typed name: someone outside the steering group
    before = audit.snapshot(action, FIELDS)
    values = {k: (v.strip() if isinstance(v, str) else getattr(v, "value", v))
              for k, v in changes.items()}
    if not versioned.save_if_unchanged(session, Action, action.id, data.version, values, at=at):
        session.rollback()
        session.refresh(action)
        raise Conflict("Someone else changed this action after you opened it. Your text is "
                       "shown beside the current version.", current=public(action))
    session.refresh(action)
    audit.record(session, actor=principal.user, action="update", entity="action",
                 entity_id=action.id, site_id=site.id, before=before,
                 after=audit.snapshot(action, FIELDS), at=at)
    session.commit()
    return action


def delete_action(session: Session, *, action: Action, cycle: Cycle, site: Site,
                  version: int | None, principal: Principal) -> None:
    """Remove an action added by mistake, if nobody has changed it since the version the
    person read (else 409 with the current record); the audit trail keeps what it was."""
    ensure_group_member(principal, site)
    _ensure_editable(cycle)
    if version is None:
        raise Invalid({"version": "The page is out of date: reload it and try again"})
    carried = session.exec(select(Action.id).where(Action.carried_from_id == action.id)).first()
    if carried is not None:
        raise Conflict("This action was carried into a later cycle, so it stays in the history. "
                       "Mark it dropped instead.")
    before = audit.snapshot(action, FIELDS)
    # Compare and delete in one statement, so a change saved a moment ago is never lost.
    gone = session.execute(sql_delete(Action).where(
        col(Action.id) == action.id, col(Action.version) == version)).rowcount
    if gone != 1:
        session.rollback()
        if session.get(Action, action.id, populate_existing=True) is None:
            raise NotFound("Action not found")
        raise Conflict("Someone else changed this action after you opened it, so it was not "
                       "deleted. Check the current version first.", current=public(action))
    audit.record(session, actor=principal.user, action="delete", entity="action",
                 entity_id=action.id, site_id=site.id, before=before)
    session.commit()


def status_counts(actions: list[Action]) -> dict[str, int]:
    counts = {s.value: 0 for s in ActionStatus}
    for a in actions:
        counts[a.status] = counts.get(a.status, 0) + 1
    return counts
