"""Priorities and the action plan, over JSON."""

from typing import Annotated

from fastapi import Query, Response
from pydantic import BaseModel

from imroc.db import SessionDep
from imroc.deps import ActionDep, CurrentPrincipal, CycleDep
from imroc.models.action import ActionCreate, ActionPublic, ActionUpdate, PrioritiesIn, PriorityOut
from imroc.services import actions, objectives, priorities
from imroc.validation import Version
from imroc.web.routing import Router

router = Router(tags=["priorities and actions"])


class PrioritiesOut(BaseModel):
    cycle_id: int
    priorities: list[PriorityOut]


def _priorities(session, cycle_id: int, rows) -> PrioritiesOut:
    """The priorities, each with its outcome at the next signed-off assessment."""
    outcomes = objectives.for_cycles(session, [cycle_id])
    out = []
    for p in rows:
        o = outcomes.get(p.id)
        out.append(PriorityOut(
            challenge=p.challenge, rank=p.rank, current_level=p.current_level,
            target_level=p.target_level, reason=p.reason,
            attainment=o.attainment if o else objectives.NO_RESCORE,
            rescored_level=o.rescored_level if o else None))
    return PrioritiesOut(cycle_id=cycle_id, priorities=out)


@router.get("/cycles/{cycle_id}/priorities", response_model=PrioritiesOut)
def get_priorities(loaded: CycleDep, session: SessionDep) -> PrioritiesOut:
    cycle = loaded[0]
    return _priorities(session, cycle.id, priorities.list_priorities(session, cycle=cycle))


@router.put("/cycles/{cycle_id}/priorities", response_model=PrioritiesOut)
def put_priorities(data: PrioritiesIn, loaded: CycleDep, session: SessionDep,
                   principal: CurrentPrincipal) -> PrioritiesOut:
    """Replace the ranked priorities (at most IMROC_MAX_PRIORITIES, else 422)."""
    cycle, site = loaded
    rows = priorities.set_priorities(session, cycle=cycle, site=site, data=data,
                                     principal=principal)
    return _priorities(session, cycle.id, rows)


@router.get("/cycles/{cycle_id}/actions", response_model=list[ActionPublic])
def list_actions(loaded: CycleDep, session: SessionDep) -> list[ActionPublic]:
    return [actions.public(a) for a in actions.list_actions(session, cycle=loaded[0])]


@router.post("/cycles/{cycle_id}/actions", response_model=ActionPublic, status_code=201)
def create_action(data: ActionCreate, loaded: CycleDep, session: SessionDep,
                  principal: CurrentPrincipal) -> ActionPublic:
    cycle, site = loaded
    return actions.public(actions.create_action(session, cycle=cycle, site=site, data=data,
                                                principal=principal))


@router.get("/actions/{action_id}", response_model=ActionPublic)
def get_action(loaded: ActionDep) -> ActionPublic:
    return actions.public(loaded[0])


@router.patch("/actions/{action_id}", response_model=ActionPublic)
def update_action(data: ActionUpdate, loaded: ActionDep, session: SessionDep,
                  principal: CurrentPrincipal) -> ActionPublic:
    """Change an action; a stale `version` gets 409 with the current record."""
    action, cycle, site = loaded
    return actions.public(actions.update_action(session, action=action, cycle=cycle, site=site,
                                                data=data, principal=principal))


@router.delete("/actions/{action_id}", status_code=204,
               responses={409: {"description": "Changed since that version (the current "
                                "record is in `current`), or carried into a later cycle"}})
def delete_action(loaded: ActionDep, session: SessionDep, principal: CurrentPrincipal,
                  version: Annotated[Version, Query()]) -> Response:
    """Delete an action added by mistake; `version` is the one read (a stale one gets 409)."""
    action, cycle, site = loaded
    actions.delete_action(session, action=action, cycle=cycle, site=site, version=version,
                          principal=principal)
    return Response(status_code=204)
