"""Administrator pages: people and the whole audit trail."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId
from imroc.errors import Invalid
from imroc.models.user import GlobalRole, UserCreate, UserUpdate
from imroc.services import access, audit, users
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list, fields

router = APIRouter()


def _form_page(request, *, user=None, values=None, errors=None, status=200) -> Response:
    errors = errors or {}
    return render(request, "users/form.html", {
        "user": user, "values": values or {}, "errors": errors,
        "error_list": error_list(errors), "global_roles": list(GlobalRole),
    }, status_code=status)


@router.get("/admin/users")
def user_list(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    access.ensure_admin(principal)
    return render(request, "users/index.html", {"users": users.list_users(session)})


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
        "is_active": "true" if user.is_active else "false"})


@router.post("/admin/users/{user_id}/edit")
def user_update(request: Request, session: SessionDep, principal: CurrentPrincipal,
                user_id: PathId, form: Form) -> Response:
    access.ensure_admin(principal)
    user = users.get_user(session, user_id)
    values = fields(form, "name", "global_role", "is_active")
    values.setdefault("global_role", None)
    try:
        users.update_user(session, user=user, actor=principal.user,
                          data=parse(UserUpdate, values))
    except Invalid as exc:
        return _form_page(request, user=user, values=values, errors=exc.errors, status=422)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/audit")
def audit_all(request: Request, session: SessionDep, principal: CurrentPrincipal,
              page: int = 1) -> Response:
    page = max(1, min(page, 100000))
    rows, total = audit.trail(session, principal=principal, site=None, page=page)
    return render(request, "audit/index.html", {"site": None, "events": rows, "total": total,
                                                "page": page})
