"""Changes that worked: a lead shares an action adopted or adapted in a closed cycle with
the learning set or the whole programme; another site tries it as a new action linked to it.
Each write is one commit with its audit row. Reading the library is change_library.py."""

from datetime import datetime

from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.errors import Conflict, Invalid
from imroc.models import Action, Cycle, SharedChange, Site
from imroc.models.action import ActionCreate
from imroc.models.change import SHAREABLE, ShareIn
from imroc.models.cycle import STAGE_LABELS, Stage
from imroc.services import access, access_changes, actions, audit, frameworks, versioned
from imroc.services.access import Principal
from imroc.services.measures import charts as measure_charts

FIELDS = ("scope", "anonymised", "withdrawn_at")


def get_change(session: Session, *, change_id: int, principal: Principal) -> SharedChange:
    """A shared change, or 404 when unknown, withdrawn or not for this person."""
    return access_changes.ensure_view_change(session, principal,
                                             session.get(SharedChange, change_id))


def change_of(session: Session, *, action: Action) -> SharedChange | None:
    """The shared change made of an action, withdrawn or not."""
    return session.exec(select(SharedChange).where(SharedChange.action_id == action.id)).first()


def _measures(session: Session, *, site: Site, challenge: int) -> list[dict]:
    """The site's measures linked to the challenge, each with its chart read in words."""
    return [{"name": a.measure.name, "summary": a.summary}
            for a in measure_charts.for_challenges(session, site=site, challenges=[challenge])]


def why_not_shareable(action: Action, cycle: Cycle) -> str | None:
    """Why an action cannot be shared, in plain words; None when it can."""
    if cycle.stage != Stage.closed:
        return (f"Changes are shared once their cycle is closed. Cycle {cycle.number} is at "
                f"the {STAGE_LABELS[Stage(cycle.stage)].lower()} stage.")
    if action.outcome not in SHAREABLE:
        return ("Only changes that were adopted or adapted can be shared. This one was "
                + ("abandoned." if action.outcome == "abandon" else "given no outcome."))
    return None


def read_measures(session: Session, *, change: SharedChange) -> None:
    """Read the sharing site's measures into the change again (the demo programme, whose
    values are loaded after the history that shared its changes)."""
    change.measures = _measures(session, site=session.get(Site, change.site_id),
                                challenge=change.challenge)
    session.add(change)
    session.commit()


def _check_shareable(action: Action, cycle: Cycle) -> None:
    reason = why_not_shareable(action, cycle)
    if reason:
        raise Conflict(reason)


def add_change(session: Session, *, action: Action, cycle: Cycle, learning_set_id: int | None,
               scope: str, anonymised: bool, title: str, what_was_done: str, prediction: str,
               result: str, measures: list[dict], shared_by: int | None, shared_at: datetime,
               withdrawn_at: datetime | None = None, uid: str | None = None) -> SharedChange:
    """The one way a shared change row comes to be (sharing, and an import), in the caller's
    transaction: the caller has checked the rules, audits and commits. The challenge and the
    outcome are the action's; the texts and the measures' readings are those shared. An
    imported change keeps the identifier it came with; a new one draws its own."""
    change = SharedChange(
        **({"uid": uid} if uid else {}), action_id=action.id, cycle_id=cycle.id,
        site_id=cycle.site_id, learning_set_id=learning_set_id, challenge=action.challenge,
        outcome=action.outcome, scope=scope, anonymised=anonymised, title=title,
        what_was_done=what_was_done,
        prediction=prediction, result=result, measures=measures, shared_by=shared_by,
        shared_at=shared_at, withdrawn_at=withdrawn_at, updated_at=withdrawn_at or shared_at)
    session.add(change)
    session.flush()
    return change


def share_action(session: Session, *, action: Action, cycle: Cycle, site: Site, data: ShareIn,
                 principal: Principal, at: datetime | None = None) -> tuple[SharedChange, bool]:
    """Share an adopted or adapted action of a closed cycle (the site's lead), or change how
    it is shared (the version read, else 409). True when it was shared for the first time."""
    access_changes.ensure_share(principal, site)
    _check_shareable(action, cycle)
    if data.scope == "learning_set" and cycle.learning_set_id is None:
        raise Invalid({"scope": f"Cycle {cycle.number} did not run in a learning set: share "
                                "the change with the whole programme"})
    existing = change_of(session, action=action)
    if existing is None:
        change = add_change(
            session, action=action, cycle=cycle, learning_set_id=cycle.learning_set_id,
            scope=data.scope.value, anonymised=data.anonymised, title=action.title,
            what_was_done=action.notes or cycle.do_notes, prediction=cycle.prediction,
            result=cycle.study_notes,
            measures=_measures(session, site=site, challenge=action.challenge),
            shared_by=principal.user.id, shared_at=at or utcnow())
        audit.record(session, actor=principal.user, action="share", entity="shared_change",
                     entity_id=change.id, site_id=site.id, at=at,
                     after={"action_id": action.id, **audit.snapshot(change, FIELDS)})
        session.commit()
        return change, True
    if data.version is None:
        raise Invalid({"version": "This change is already shared: send the version you read "
                                  "to change how it is shared"})
    _save_sharing(session, change=existing, site=site, version=data.version, action="reshare",
                  values={"scope": data.scope.value, "anonymised": data.anonymised,
                          "withdrawn_at": None}, principal=principal, at=at)
    return existing, False


def withdraw(session: Session, *, change: SharedChange, version: int, principal: Principal,
             at: datetime | None = None) -> SharedChange:
    """Stop sharing a change (the sharing site's lead): it leaves the library; the actions
    other sites made of it stay theirs."""
    site = session.get(Site, change.site_id)
    access_changes.ensure_share(principal, site)
    if change.withdrawn_at is not None:
        raise Conflict("This change is no longer shared")
    _save_sharing(session, change=change, site=site, version=version, action="withdraw",
                  values={"withdrawn_at": at or utcnow()}, principal=principal, at=at)
    return change


def _save_sharing(session: Session, *, change: SharedChange, site: Site, version: int,
                  action: str, values: dict, principal: Principal,
                  at: datetime | None) -> None:
    """How a change is shared, saved only from the version the lead saw, with its audit row."""
    before = audit.snapshot(change, FIELDS)
    if not versioned.save_if_unchanged(session, SharedChange, change.id, version, values,
                                       at=at):
        session.rollback()
        raise Conflict("Someone else changed how this change is shared after you opened the "
                       "page. Check how it is shared now, then try again.")
    session.refresh(change)
    audit.record(session, actor=principal.user, action=action, entity="shared_change",
                 entity_id=change.id, site_id=site.id, before=before,
                 after=audit.snapshot(change, FIELDS), at=at)
    session.commit()


def _target(session: Session, *, principal: Principal, cycle_id: int) -> tuple[Cycle, Site]:
    cycle = session.get(Cycle, cycle_id)
    site = session.get(Site, cycle.site_id) if cycle else None
    if site is None or not access.can_view_site(principal, site):
        raise Invalid({"cycle_id": "Choose a cycle of a site whose steering group you are in"})
    return cycle, site


def adopt(session: Session, *, change: SharedChange, cycle_id: int, principal: Principal,
          at: datetime | None = None) -> Action:
    """Try a shared change here: a new action in the cycle's plan under the change's
    challenge, linked to the change, added as any action is (services/actions.py). The
    challenge must be one of the cycle's priorities: priorities are the lead's choice at the
    plan stage, so trying a change never adds one."""
    access_changes.ensure_view_change(session, principal, change)
    if change.withdrawn_at is not None:
        raise Conflict("This change is no longer shared")
    cycle, site = _target(session, principal=principal, cycle_id=cycle_id)
    actions.ensure_can_add(principal, site, cycle)
    if change.challenge not in actions.priority_challenges(session, cycle=cycle):
        title = frameworks.short_titles(session)[change.challenge - 1]
        raise Conflict(f"Challenge {change.challenge} ({title}) is not a priority of cycle "
                       f"{cycle.number}. Ask the steering group lead to make it one of the "
                       "cycle's priorities, then try this change again.")
    tried = session.exec(select(Action.id).where(
        Action.cycle_id == cycle.id, col(Action.origin_change_id) == change.id)).first()
    if tried is not None:
        raise Conflict(f"This change is already in the action plan of cycle {cycle.number}")
    return actions.create_action(
        session, cycle=cycle, site=site, principal=principal, at=at, origin_change_id=change.id,
        data=ActionCreate(challenge=change.challenge, title=change.title,
                          notes=change.what_was_done[:5000]))


def action_of(session: Session, *, change: SharedChange,
              principal: Principal) -> tuple[Action, Cycle, Site]:
    """The action a change was shared from, with its cycle and site (404 when not visible)."""
    return actions.get_action(session, action_id=change.action_id, principal=principal)
