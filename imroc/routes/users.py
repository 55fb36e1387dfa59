"""Administrator pages: people and the whole audit trail."""

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId
from imroc.errors import Conflict, Invalid
from imroc.models.user import (
    PEOPLE_ROLES,
    PERSPECTIVE_LABELS,
    GlobalRole,
    PeopleFilter,
    UserCreate,
    UserUpdate,
)
from imroc.services import access, audit, learning_sets, people, sites, users
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields
from imroc.web.paging import pages
from imroc.web.routing import Router

router = Router()


def _form_page(request, *, user=None, values=None, errors=None, conflict=None,
               status=200) -> Response:
    errors = errors or {}
    return render(request, "users/form.html", {
        "user": user, "values": values or {}, "errors": errors, "conflict": conflict,
        "error_list": error_list(errors), "global_roles": list(GlobalRole),
    }, status_code=status)


PER_PAGE = 25
FILTERS = ("q", "role", "site_id", "learning_set_id", "active")


@router.get("/admin/users")
def user_list(request: Request, session: SessionDep, principal: CurrentPrincipal,
              page: int = Query(default=1, ge=1, le=100000)) -> Response:
    """Everyone with an account: searched, filtered and a page at a time (GET, so it works
    without JavaScript; htmx swaps only the results as the form changes)."""
    access.ensure_admin(principal)
    values = {k: (request.query_params.get(k) or "").strip() or None for k in FILTERS}
    errors: dict[str, str] = {}
    try:
        f = parse(PeopleFilter, {**values, "limit": PER_PAGE, "offset": (page - 1) * PER_PAGE})
        found, total = people.search(session, f)
    except Invalid as exc:
        errors, found, total = exc.errors, [], 0
    return render(request, "users/index.html", {
        "people": found, "total": total, "page": page, "values": values, "errors": errors,
        "error_list": error_list(errors), "filtered": any(values.values()),
        "paging": pages("/admin/users", values, page=page, per_page=PER_PAGE, total=total),
        "sites": sites.list_sites(session, principal=principal),
        "sets": learning_sets.list_learning_sets(session, principal=principal),
        "roles": PEOPLE_ROLES, "perspective_labels": PERSPECTIVE_LABELS,
    }, fragment="users/_results.html", status_code=422 if errors else 200)


@router.get("/admin/users/new")
def user_new(request: Request, principal: CurrentPrincipal) -> Response:
    access.ensure_admin(principal)
    return _form_page(request)


@router.post("/admin/users")
def user_create(request: Request, session: SessionDep, principal: CurrentPrincipal,
                form: Form) -> Response:
    access.ensure_admin(principal)
    values = fields(form, "email", "name", "password", "global_role")
    try:
        users.create_user(session, actor=principal.user, data=parse(UserCreate, values))
    except Invalid as exc:
        values.pop("password", None)  # never echo a password back into the page
        return _form_page(request, values=values, errors=exc.errors, status=422)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users/{user_id}/edit")
def user_edit(request: Request, session: SessionDep, principal: CurrentPrincipal,
              user_id: PathId) -> Response:
    access.ensure_admin(principal)
    user = users.get_user(session, user_id)
    return _form_page(request, user=user, values={
        "name": user.name, "global_role": user.global_role,
        "is_active": "true" if user.is_active else "false", "version": str(user.version)})


@router.post("/admin/users/{user_id}/edit")
def user_update(request: Request, session: SessionDep, principal: CurrentPrincipal,
                user_id: PathId, form: Form) -> Response:
    access.ensure_admin(principal)
    user = users.get_user(session, user_id)
    values = fields(form, "name", "global_role", "is_active", "version")
    values.setdefault("global_role", None)
    try:
        users.update_user(session, user=user, actor=principal.user,
                          data=parse(UserUpdate, values))
    except Invalid as exc:
        return _form_page(request, user=user, values=values, errors=exc.errors, status=422)
    except Conflict as exc:
        # Keep what they typed; the form now carries the newer version, so saving again wins.
        return _form_page(request, user=user, values={**values, "version": str(user.version)},
                          errors={"version": exc.message}, conflict=exc.current, status=409)
    return RedirectResponse(f"/admin/users/{user.id}", status_code=303)


@router.get("/admin/audit")
def audit_all(request: Request, session: SessionDep, principal: CurrentPrincipal,
              page: int = 1) -> Response:
    page = max(1, min(page, 100000))
    rows, total = audit.trail(session, principal=principal, site=None, page=page)
    return render(request, "audit/index.html", {"site": None, "events": rows, "total": total,
                                                "page": page})


# After /admin/users/new and /admin/users/import, which this path would otherwise take.
@router.get("/admin/users/{user_id}")
def user_page(request: Request, session: SessionDep, principal: CurrentPrincipal,
              user_id: PathId) -> Response:
    """One person: every place they hold and how they sign in."""
    access.ensure_admin(principal)
    person = people.get_person(session, users.get_user(session, user_id))
    return render(request, "users/show.html", {
        "person": person, "sign_in_label": people.SIGN_IN_LABELS[person.sign_in],
        "perspective_labels": PERSPECTIVE_LABELS})
