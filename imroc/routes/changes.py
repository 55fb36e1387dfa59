"""The library of changes that worked: searching it, a change with where it spread and
"Try this here", and sharing an adopted or adapted action of a closed cycle."""

from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import ActionDep, CurrentPrincipal, PathId
from imroc.errors import Conflict, Invalid
from imroc.models.action import OUTCOME_LABELS
from imroc.models.change import SCOPE_LABELS, AdoptIn, ChangeFilter, ShareIn, WithdrawIn
from imroc.services import access_changes, change_library, changes, discussion, sites
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.paging import pages
from imroc.web.routing import Router

router = Router()
Page = Query(default=1, ge=1, le=100000)


def _filters(request: Request) -> dict:
    """What the search form sent, as typed (lists for the checkboxes)."""
    q = request.query_params
    return {"challenge": (q.get("challenge") or "").strip() or None,
            "kind": [k for k in q.getlist("kind") if k],
            "outcome": [o for o in q.getlist("outcome") if o],
            "q": (q.get("q") or "").strip() or None}


@router.get("/changes")
def library(request: Request, session: SessionDep, principal: CurrentPrincipal,
            page: int = Page) -> Response:
    """Search the changes other sites shared; GET, so a search can be bookmarked."""
    values = _filters(request)
    errors: dict[str, str] = {}
    try:
        found, total = change_library.search(session, principal=principal,
                                              f=parse(ChangeFilter, values), page=page)
    except Invalid as exc:
        errors, found, total = exc.errors, [], 0
    paging = pages("/changes", {k: v for k, v in values.items() if not isinstance(v, list)},
                   page=page, per_page=change_library.PER_PAGE, total=total)
    if paging:
        paging["ariaLabel"] = "Pages of shared changes"
        ticked = urlencode([(k, v) for k in ("kind", "outcome") for v in values[k]])
        for item in [*paging["items"], paging["previous"], paging["next"]]:
            if item.get("href") and ticked:
                item["href"] += "&" + ticked
    return render(request, "changes/index.html", {
        "found": found, "total": total, "paging": paging, "values": values, "errors": errors,
        "error_list": error_list(errors), "filtered": any(values.values()),
        "challenges": list(discussion.challenge_names(session).items()),
        "kinds": [(k.code, k.label) for k in sites.list_kinds(session)],
        "outcome_labels": OUTCOME_LABELS, "scope_labels": SCOPE_LABELS,
    }, status_code=422 if errors else 200)


def _change_page(request, session, principal, change, *, values=None, errors=None,
                 status=200, shared=False) -> Response:
    errors = errors or {}
    found = change_library.view(session, principal=principal, change=change)
    return render(request, "changes/show.html", {
        "found": found, "change": change,
        "spread": change_library.spread(session, principal=principal, found=found),
        "challenge": discussion.challenge_names(session).get(change.challenge, ""),
        "choices": change_library.try_choices(session, principal=principal, change=change),
        "threads": change_library.threads_about(session, principal=principal, change=change),
        "discuss_url": change_library.discuss_url(session, principal=principal, change=change),
        "can_share": found.insider and access_changes.can_share(principal, found.site),
        "outcome_labels": OUTCOME_LABELS, "scope_labels": SCOPE_LABELS, "shared": shared,
        "values": values or {}, "errors": errors, "error_list": error_list(errors),
    }, status_code=status)


@router.get("/changes/{change_id}")
def change_show(request: Request, session: SessionDep, principal: CurrentPrincipal,
                change_id: PathId, shared: bool = False) -> Response:
    change = changes.get_change(session, change_id=change_id, principal=principal)
    return _change_page(request, session, principal, change, shared=shared)


@router.post("/changes/{change_id}/adopt")
def change_adopt(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 change_id: PathId, form: Form) -> Response:
    """"Try this here": the change becomes a new action in one of the person's cycles."""
    change = changes.get_change(session, change_id=change_id, principal=principal)
    values = fields(form, "cycle_id")
    try:
        action = changes.adopt(session, change=change, principal=principal,
                               cycle_id=parse(AdoptIn, values).cycle_id)
    except (Invalid, Conflict) as exc:
        errors = exc.errors if isinstance(exc, Invalid) else {"cycle_id": exc.message}
        return _change_page(request, session, principal, change, values=values,
                            errors=errors, status=exc.status_code)
    return RedirectResponse(f"/cycles/{action.cycle_id}/actions#action-{action.id}",
                            status_code=303)


def _share_page(request, session, principal, action, cycle, site, *, values=None,
                errors=None, status=200) -> Response:
    errors = errors or {}
    change = changes.change_of(session, action=action)
    if values is None:
        values = ({"scope": change.scope, "anonymised": change.anonymised}
                  if change else {"scope": "learning_set" if cycle.learning_set_id else None})
    return render(request, "changes/share.html", {
        "action": action, "cycle": cycle, "site": site, "change": change,
        "refusal": changes.why_not_shareable(action, cycle),
        "in_set": cycle.learning_set_id is not None, "outcome_labels": OUTCOME_LABELS,
        "scope_labels": SCOPE_LABELS, "values": values, "errors": errors,
        "error_list": error_list(errors),
    }, status_code=status)


@router.get("/actions/{action_id}/share")
def share_form(request: Request, session: SessionDep, principal: CurrentPrincipal,
               loaded: ActionDep) -> Response:
    action, cycle, site = loaded
    access_changes.ensure_share(principal, site)
    return _share_page(request, session, principal, action, cycle, site)


@router.post("/actions/{action_id}/share")
def share(request: Request, session: SessionDep, principal: CurrentPrincipal,
          loaded: ActionDep, form: Form) -> Response:
    """Share the action with the learning set or the programme, or change how it is shared."""
    action, cycle, site = loaded
    access_changes.ensure_share(principal, site)
    values = fields(form, "scope", "version")
    values["anonymised"] = form.get("anonymised") == "yes"
    try:
        change, _new = changes.share_action(session, action=action, cycle=cycle, site=site,
                                            principal=principal, data=parse(ShareIn, values))
    except (Invalid, Conflict) as exc:
        errors = exc.errors if isinstance(exc, Invalid) else {"scope": exc.message}
        return _share_page(request, session, principal, action, cycle, site, values=values,
                           errors=errors, status=exc.status_code)
    return RedirectResponse(f"/changes/{change.id}?shared=1", status_code=303)


@router.post("/changes/{change_id}/withdraw")
def withdraw(request: Request, session: SessionDep, principal: CurrentPrincipal,
             change_id: PathId, form: Form) -> Response:
    """Stop sharing a change (the sharing site's lead)."""
    change = changes.get_change(session, change_id=change_id, principal=principal)
    values = fields(form, "version")
    try:
        changes.withdraw(session, change=change, principal=principal,
                         version=parse(WithdrawIn, values).version)
    except (Invalid, Conflict) as exc:
        action, cycle, site = changes.action_of(session, change=change, principal=principal)
        return _share_page(request, session, principal, action, cycle, site,
                           errors={"withdraw": exc.message}, status=exc.status_code)
    return RedirectResponse(f"/cycles/{change.cycle_id}#shared-changes", status_code=303)

