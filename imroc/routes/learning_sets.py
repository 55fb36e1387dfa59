"""Learning-set pages: list, create, view (sites, facilitators, meetings), edit; a meeting
with the sites' cycles tied to it."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, LearningSetDep, PathId
from imroc.errors import Conflict, Invalid
from imroc.models.site import LearningSetCreate, LearningSetUpdate, MeetingCreate
from imroc.services import access, frameworks, learning_sets, meetings, users
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.routing import Router
from imroc.web.sections import STAGE_NAMES

router = Router()


def _set_values(form) -> dict:
    values = fields(form, "name", "region", "version")
    values["facilitator_ids"] = [v for v in form.getlist("facilitator_ids") if isinstance(v, str)]
    return values


def _form_page(request, session, *, ls=None, values=None, errors=None, status=200,
               conflict=None) -> Response:
    errors = errors or {}
    return render(request, "learning_sets/form.html", {
        "ls": ls, "values": values or {}, "errors": errors, "error_list": error_list(errors),
        "people": users.list_users(session), "conflict": conflict,
    }, status_code=status)


def _show_page(request, session, principal, ls, *, values=None, errors=None, status=200):
    errors = errors or {}
    public = learning_sets.public(session, ls, meetings=True)
    people = {u.id: u for u in users.list_users(session)} if public.facilitator_ids else {}
    return render(request, "learning_sets/show.html", {
        "ls": ls, "public": public, "sites": learning_sets.list_set_sites(session, ls=ls),
        "facilitators": [people[i] for i in public.facilitator_ids if i in people],
        "can_manage": principal.is_programme, "values": values or {}, "errors": errors,
        "error_list": error_list(errors),
    }, status_code=status)


@router.get("/learning-sets")
def set_list(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    rows = learning_sets.list_learning_sets(session, principal=principal)
    return render(request, "learning_sets/index.html", {
        "sets": rows, "can_manage": principal.is_programme})


@router.get("/learning-sets/new")
def set_new(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    access.ensure_manage_learning_sets(principal)
    return _form_page(request, session)


@router.post("/learning-sets")
def set_create(request: Request, session: SessionDep, principal: CurrentPrincipal,
               form: Form) -> Response:
    access.ensure_manage_learning_sets(principal)
    values = _set_values(form)
    try:
        given = {k: v for k, v in values.items() if v is not None}  # blank means "not given"
        ls = learning_sets.create_learning_set(session, principal=principal,
                                               data=parse(LearningSetCreate, given))
    except Invalid as exc:
        return _form_page(request, session, values=values, errors=exc.errors, status=422)
    return RedirectResponse(f"/learning-sets/{ls.id}", status_code=303)


@router.get("/learning-sets/{learning_set_id}")
def set_show(request: Request, session: SessionDep, principal: CurrentPrincipal,
             ls: LearningSetDep) -> Response:
    return _show_page(request, session, principal, ls)


@router.get("/learning-sets/{learning_set_id}/edit")
def set_edit(request: Request, session: SessionDep, principal: CurrentPrincipal,
             ls: LearningSetDep) -> Response:
    access.ensure_manage_learning_sets(principal)
    public = learning_sets.public(session, ls)
    return _form_page(request, session, ls=ls, values={
        "name": ls.name, "region": ls.region,
        "facilitator_ids": [str(i) for i in public.facilitator_ids]})


@router.post("/learning-sets/{learning_set_id}/edit")
def set_update(request: Request, session: SessionDep, principal: CurrentPrincipal,
               ls: LearningSetDep, form: Form) -> Response:
    access.ensure_manage_learning_sets(principal)
    values = _set_values(form)
    try:
        learning_sets.update_learning_set(session, ls=ls, principal=principal,
                                          data=parse(LearningSetUpdate, values))
    except Invalid as exc:
        return _form_page(request, session, ls=ls, values=values, errors=exc.errors,
                          status=422)
    except Conflict as exc:
        return _form_page(request, session, ls=ls, values=values, status=409,
                          errors={"version": exc.message}, conflict=exc.current)
    return RedirectResponse(f"/learning-sets/{ls.id}", status_code=303)


@router.post("/learning-sets/{learning_set_id}/meetings")
def meeting_add(request: Request, session: SessionDep, principal: CurrentPrincipal,
                ls: LearningSetDep, form: Form) -> Response:
    access.ensure_add_meeting(principal, ls)
    values = fields(form, "held_on", "title")
    try:
        learning_sets.create_meeting(session, ls=ls, principal=principal,
                                  data=parse(MeetingCreate, values))
    except Invalid as exc:
        return _show_page(request, session, principal, ls, values=values, errors=exc.errors,
                          status=422)
    return RedirectResponse(f"/learning-sets/{ls.id}#meetings", status_code=303)


@router.get("/meetings/{meeting_id}")
def meeting_show(request: Request, session: SessionDep, principal: CurrentPrincipal,
                 meeting_id: PathId) -> Response:
    """The sites' cycles tied to a meeting and what each brought (stage, levels agreed)."""
    meeting, ls = meetings.get_meeting(session, meeting_id=meeting_id, principal=principal)
    linked = meetings.by_meeting(session, meeting_id=meeting.id).get(meeting.id, [])
    return render(request, "learning_sets/meeting.html", {
        "meeting": meeting, "ls": ls, "linked": linked,
        "name_of": {mc.site.id: mc.site.name for mc in linked},
        "linkable": {mc.cycle.id for mc in linked if access.can_view_site(principal, mc.site)},
        "titles": frameworks.short_titles(session),
        "stage_names": STAGE_NAMES,
    })
