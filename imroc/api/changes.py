"""The library of changes that worked, over JSON: search it, read a change and where it
spread, try it in a cycle, share an action (the site's lead) or stop sharing it."""

from typing import Annotated, Literal

from fastapi import Query, Response

from imroc.db import SessionDep
from imroc.deps import ActionDep, CurrentPrincipal, PathId
from imroc.models.action import ActionPublic
from imroc.models.change import AdoptIn, ChangeFilter, ChangePublic, ShareIn, WithdrawIn
from imroc.services import actions, change_library, changes
from imroc.validation import Whole, parse
from imroc.web.routing import Router

router = Router(tags=["changes that worked"])
Page = Query(default=1, ge=1, le=100000, description="Pages of 20 changes, newest first")


@router.get("/changes", response_model=list[ChangePublic])
def list_changes(session: SessionDep, principal: CurrentPrincipal, response: Response,
                 challenge: Annotated[Whole | None, Query(ge=1, le=10)] = None,
                 kind: Annotated[list[str] | None, Query(max_length=20)] = None,
                 outcome: Annotated[list[Literal["adopt", "adapt"]] | None, Query()] = None,
                 q: Annotated[str | None, Query(max_length=200)] = None,
                 page: int = Page) -> list[ChangePublic]:
    """The shared changes the caller may read, newest first; `kind` and `outcome` may be
    given more than once. The total is in `X-Total-Count`."""
    f = parse(ChangeFilter, {"challenge": challenge, "kind": kind or [],
                             "outcome": outcome or [], "q": q})
    found, total = change_library.search(session, principal=principal, f=f, page=page)
    response.headers["X-Total-Count"] = str(total)
    return [change_library.public(session, principal=principal, found=v) for v in found]


@router.get("/changes/{change_id}", response_model=ChangePublic)
def get_change(change_id: PathId, session: SessionDep,
               principal: CurrentPrincipal) -> ChangePublic:
    """One change with the sites it spread to (`spread`)."""
    change = changes.get_change(session, change_id=change_id, principal=principal)
    found = change_library.view(session, principal=principal, change=change)
    return change_library.public(session, principal=principal, found=found, with_spread=True)


@router.post("/changes/{change_id}/adopt", response_model=ActionPublic, status_code=201)
def adopt(change_id: PathId, data: AdoptIn, session: SessionDep,
          principal: CurrentPrincipal) -> ActionPublic:
    """Try the change in a cycle of your site (`cycle_id`): a new action under the change's
    challenge, which must be one of the cycle's priorities (else 409)."""
    change = changes.get_change(session, change_id=change_id, principal=principal)
    return actions.public(changes.adopt(session, change=change, cycle_id=data.cycle_id,
                                        principal=principal))


@router.post("/actions/{action_id}/share", response_model=ChangePublic,
             responses={201: {"description": "Shared for the first time"}})
def share(data: ShareIn, loaded: ActionDep, session: SessionDep, principal: CurrentPrincipal,
          response: Response) -> ChangePublic:
    """Share an adopted or adapted action of a closed cycle (the site's lead) with the
    `learning_set` the cycle ran in or the `programme`, `anonymised` or not; sharing it
    again (with the `version` read) changes how it is shared: 200."""
    action, cycle, site = loaded
    change, new = changes.share_action(session, action=action, cycle=cycle, site=site,
                                       data=data, principal=principal)
    response.status_code = 201 if new else 200
    found = change_library.view(session, principal=principal, change=change)
    return change_library.public(session, principal=principal, found=found, with_spread=True)


@router.post("/changes/{change_id}/withdraw", status_code=204)
def withdraw(change_id: PathId, data: WithdrawIn, session: SessionDep,
             principal: CurrentPrincipal) -> Response:
    """Stop sharing a change (the sharing site's lead); the actions made of it stay."""
    change = changes.get_change(session, change_id=change_id, principal=principal)
    changes.withdraw(session, change=change, version=data.version, principal=principal)
    return Response(status_code=204)
