"""The action plan: its page, and each action row as an htmx fragment."""

from datetime import date

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import ActionDep, CurrentPrincipal, CycleDep
from imroc.errors import Conflict, Invalid
from imroc.models.action import (
    OUTCOME_LABELS,
    STATUS_LABELS,
    ActionCreate,
    ActionUpdate,
)
from imroc.models.cycle import Stage
from imroc.models.user import PERSPECTIVE_LABELS
from imroc.services import (
    access,
    actions,
    change_library,
    frameworks,
    priorities,
    users,
)
from imroc.templating import is_htmx, render, uk_date
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.routing import Router

router = Router()
ACTION_INPUTS = ("challenge", "title", "owner_id", "owner", "due_on", "status", "notes")
EDIT_INPUTS = ("title", "owner_id", "owner", "due_on", "status", "notes", "outcome")
FIELD_LABELS = {"title": "Title", "owner": "Owner", "due_on": "Due date", "status": "Status",
                "notes": "Notes", "outcome": "Outcome"}


# --- the action plan -----------------------------------------------------------------------

def _show(name: str, value) -> str:
    """A field's value as the page shows it (labels for codes, UK dates)."""
    if not value:
        return "(empty)" if name not in ("outcome", "due_on") else "None"
    if name == "status":
        return STATUS_LABELS.get(value, value)
    if name == "outcome":
        return OUTCOME_LABELS.get(value, value)
    if name == "due_on":
        try:
            return uk_date(date.fromisoformat(value))
        except ValueError:
            return value
    return value


def _differences(values: dict, current) -> list[tuple[str, str, str]]:
    """(field, the person's unsaved value, the value saved now) where the two differ."""
    saved = current.model_dump(mode="json")
    return [(label, _show(name, values.get(name) or ""), _show(name, saved.get(name) or ""))
            for name, label in FIELD_LABELS.items()
            if name in values and (values.get(name) or "") != (saved.get(name) or "")]


def _item(action, origins, tried=None) -> dict:
    return {"action": action, "overdue": actions.is_overdue(action),
            "origin": origins.get(action.id), "tried_from": (tried or {}).get(action.id)}


def _counts(session, cycle) -> dict:
    """The plan's count of actions by status, sent with an htmx answer about one action."""
    return actions.status_counts(actions.list_actions(session, cycle=cycle))


def _labels(cycle, session=None, site=None) -> dict:
    owners = [(u.id, f"{u.name} ({PERSPECTIVE_LABELS.get(m.perspective, m.perspective).lower()})")
              for m, u in users.list_members(session, site=site)] if site else []
    return {"status_labels": STATUS_LABELS, "outcome_labels": OUTCOME_LABELS,
            "offer_outcome": Stage(cycle.stage) in actions.OUTCOME_STAGES, "owners": owners}


def _actions_page(request, session, principal, cycle, site, *, values=None, errors=None,
                  states=None, status=200, deleted=False) -> Response:
    errors = errors or {}
    rows = actions.list_actions(session, cycle=cycle)
    origins = actions.origins(session, actions=rows)
    tried = change_library.tried_from(session, principal=principal, found=rows)
    chosen = priorities.list_priorities(session, cycle=cycle)
    fw = frameworks.document_by_id(session, cycle.framework_id)
    titles = {c["number"]: c["title"] for c in fw["challenges"]}
    groups = [{"challenge": p.challenge, "priority": p, "rows": []} for p in chosen]
    by_challenge = {g["challenge"]: g for g in groups}
    for a in rows:
        if a.challenge not in by_challenge:
            by_challenge[a.challenge] = {"challenge": a.challenge, "priority": None, "rows": []}
            groups.append(by_challenge[a.challenge])
        by_challenge[a.challenge]["rows"].append(_item(a, origins, tried))
    items = [i for g in groups for i in g["rows"]]
    return render(request, "actions/index.html", {
        "cycle": cycle, "site": site, "groups": groups, "titles": titles, "chosen": chosen,
        "deleted": deleted,
        "overdue": [i for i in items if i["overdue"]], "counts": actions.status_counts(rows),
        "can_edit": access.is_group_member(principal, site) and cycle.stage != Stage.closed,
        "can_add": access.is_group_member(principal, site) and bool(chosen)
        and cycle.stage not in (Stage.assess, Stage.closed),
        "values": values or {"status": "not_started"}, "errors": errors,
        "error_list": error_list(errors), "states": states or {},
        **_labels(cycle, session, site)}, status_code=status)


@router.get("/cycles/{cycle_id}/actions")
def actions_show(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 loaded: CycleDep, deleted: bool = False) -> Response:
    cycle, site = loaded
    return _actions_page(request, session, principal, cycle, site, deleted=deleted)


@router.post("/cycles/{cycle_id}/actions")
def action_create(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  loaded: CycleDep, form: Form) -> Response:
    cycle, site = loaded
    access.ensure_group_member(principal, site)
    values = fields(form, *ACTION_INPUTS)
    given = {k: v for k, v in values.items() if v is not None or k in ("title", "challenge")}
    try:
        action = actions.create_action(session, cycle=cycle, site=site, principal=principal,
                                       data=parse(ActionCreate, given))
    except Invalid as exc:
        return _actions_page(request, session, principal, cycle, site, values=values,
                             errors=exc.errors, status=422)
    except Conflict as exc:
        return _actions_page(request, session, principal, cycle, site, values=values,
                             errors={"challenge": exc.message}, status=409)
    return RedirectResponse(f"/cycles/{cycle.id}/actions#action-{action.id}", status_code=303)


def _row_response(request, session, principal, action, cycle, site, *, state,
                  status) -> Response:
    """The action's row alone for htmx; the whole plan (with the same row) otherwise."""
    if not is_htmx(request):
        # The summary links to the fields of this action's row (ids action-N-field).
        errors = {f"action-{action.id}-{k.replace('_', '-')}": v
                  for k, v in state.get("errors", {}).items()}
        return _actions_page(request, session, principal, cycle, site, errors=errors,
                             states={action.id: state}, status=status)
    origins = actions.origins(session, actions=[action])
    tried = change_library.tried_from(session, principal=principal, found=[action])
    return render(request, "actions/index.html", {
        "cycle": cycle, "site": site, "item": _item(action, origins, tried),
        "states": {action.id: state}, **_labels(cycle, session, site),
        "oob_counts": _counts(session, cycle),
        "can_edit": access.is_group_member(principal, site) and cycle.stage != Stage.closed,
    }, fragment="actions/_action.html", status_code=status)


@router.post("/actions/{action_id}")
def action_update(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  loaded: ActionDep, form: Form) -> Response:
    """Save one action; a stale version shows the person's values beside the current ones."""
    action, cycle, site = loaded
    access.ensure_group_member(principal, site)
    values = fields(form, *EDIT_INPUTS, "version")
    # Blank text means empty (a blank title then fails validation beside the other fields).
    data = {k: ("" if v is None and k in ("title", "owner", "notes") else v)
            for k, v in values.items()}
    try:
        actions.update_action(session, action=action, cycle=cycle, site=site,
                              principal=principal, data=parse(ActionUpdate, data))
    except Invalid as exc:
        return _row_response(request, session, principal, action, cycle, site, status=422,
                             state={"values": values, "errors": exc.errors})
    except Conflict as exc:
        state = {"values": values, "message": exc.message, "current": exc.current,
                 "differences": _differences(values, exc.current) if exc.current else [],
                 "errors": {} if exc.current else {"edit": exc.message}}
        return _row_response(request, session, principal, action, cycle, site, status=409,
                             state=state)
    if is_htmx(request):
        return _row_response(request, session, principal, action, cycle, site, status=200,
                             state={"saved": True})
    return RedirectResponse(f"/cycles/{cycle.id}/actions#action-{action.id}", status_code=303)


def _version(sent: object) -> int | None:
    return int(sent) if isinstance(sent, str) and sent.isdigit() and len(sent) < 10 else None


def _confirm_delete(request, action, cycle, site, *, version: int | None) -> Response:
    """The NHS confirmation page: what deleting means, before anything is deleted."""
    return render(request, "actions/delete.html", {
        "action": action, "cycle": cycle, "site": site, "version": version})


@router.get("/actions/{action_id}/delete")
def action_delete_page(request: Request, principal: CurrentPrincipal, loaded: ActionDep,
                       version: str | None = None) -> Response:
    action, cycle, site = loaded
    access.ensure_group_member(principal, site)
    return _confirm_delete(request, action, cycle, site,
                           version=_version(version) or action.version)


@router.post("/actions/{action_id}/delete")
def action_delete(request: Request, session: SessionDep, principal: CurrentPrincipal,
                  loaded: ActionDep, form: Form) -> Response:
    """Delete an action once the person has confirmed on the confirmation page."""
    action, cycle, site = loaded
    title = action.title
    version = _version(form.get("version"))
    if form.get("confirm") != "yes":
        access.ensure_group_member(principal, site)
        return _confirm_delete(request, action, cycle, site, version=version)
    try:
        actions.delete_action(session, action=action, cycle=cycle, site=site, version=version,
                              principal=principal)
    except (Conflict, Invalid) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return _row_response(request, session, principal, action, cycle, site, status=status,
                             state={"errors": {"delete": exc.message}})
    if is_htmx(request):
        return render(request, "actions/_deleted.html", {
            "title": title, "oob_counts": _counts(session, cycle), **_labels(cycle)})
    return RedirectResponse(f"/cycles/{cycle.id}/actions?deleted=1", status_code=303)
