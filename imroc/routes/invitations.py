"""Invitations: sending again, withdrawing, inviting people without a site, and accepting."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask

from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, OptionalPrincipal, PathId
from imroc.errors import Conflict, Forbidden, Invalid
from imroc.models.invitation import InvitationIn, OtherRole
from imroc.models.user import NewPassword
from imroc.services import auth, invitations, learning_sets, mail
from imroc.templating import render
from imroc.validation import parse
from imroc.web.cookies import start_browser_session
from imroc.web.forms import Form, error_list, fields
from imroc.web.routing import Router

router = Router()


def _back(inv) -> str:
    return f"/sites/{inv.site_id}/members" if inv.site_id else "/invitations"


@router.post("/invitations/{invitation_id}/resend")
def resend(session: SessionDep, principal: CurrentPrincipal, invitation_id: PathId) -> Response:
    inv = invitations.get_invitation(session, invitation_id=invitation_id, principal=principal)
    mail_id = invitations.resend(session, inv=inv, principal=principal)
    return RedirectResponse(f"{_back(inv)}?invited={inv.email}", status_code=303,
                            background=BackgroundTask(mail.deliver, ids=[mail_id]))


@router.post("/invitations/{invitation_id}/withdraw")
def withdraw(session: SessionDep, principal: CurrentPrincipal, invitation_id: PathId) -> Response:
    inv = invitations.get_invitation(session, invitation_id=invitation_id, principal=principal)
    invitations.withdraw(session, inv=inv, principal=principal)
    return RedirectResponse(_back(inv), status_code=303)


def _others_page(request, session, principal, *, values=None, errors=None, status=200,
                 invited=None) -> Response:
    errors = errors or {}
    roles = [r for r in OtherRole if r == OtherRole.facilitator or principal.is_admin]
    sets = learning_sets.list_learning_sets(session, principal=principal)
    return render(request, "invitations/index.html", {
        "invitations": invitations.list_other(session), "invitation_status": invitations.status,
        "roles": roles, "sets": sets, "values": values or {}, "errors": errors,
        "error_list": error_list(errors), "invited": invited}, status_code=status)


@router.get("/invitations")
def others(request: Request, session: SessionDep, principal: CurrentPrincipal,
           invited: str | None = None) -> Response:
    """Facilitators, the programme team and administrators: invited here."""
    if not principal.is_programme:
        raise Forbidden("Only the programme team can invite people without a site")
    return _others_page(request, session, principal, invited=invited)


@router.post("/invitations")
def invite(request: Request, session: SessionDep, principal: CurrentPrincipal,
           form: Form) -> Response:
    values = fields(form, "email", "name", "role", "learning_set_id")
    try:
        inv, mail_id = invitations.invite(session, principal=principal,
                                          data=parse(InvitationIn, values))
    except Invalid as exc:
        if not principal.is_programme:
            raise Forbidden("Only the programme team can invite people without a site") \
                from None
        return _others_page(request, session, principal, values=values, errors=exc.errors,
                            status=422)
    return RedirectResponse(f"/invitations?invited={inv.email}", status_code=303,
                            background=BackgroundTask(mail.deliver, ids=[mail_id]))


@router.get("/invitations/accept/{secret}")
def accept_page(request: Request, session: SessionDep, principal: OptionalPrincipal,
                secret: str) -> Response:
    inv, problem = invitations.by_link(session, secret=secret)
    status = 404 if inv is None else 410 if problem else 200
    return render(request, "invitations/accept.html", {
        "inv": inv, "problem": problem, "secret": secret, "errors": {},
        "where": invitations.where(session, inv) if inv else None,
        "has_account": bool(inv and invitations.has_account(session, inv)),
        "mismatch": bool(principal and inv and principal.user.email != inv.email),
    }, status_code=status)


@router.post("/invitations/accept/{secret}")
def accept(request: Request, session: SessionDep, principal: OptionalPrincipal, secret: str,
           form: Form) -> Response:
    inv, problem = invitations.by_link(session, secret=secret)
    if inv is None or problem:
        return accept_page(request, session, principal, secret)
    if principal is not None:
        invitations.accept_signed_in(session, inv=inv, principal=principal)
        return RedirectResponse("/?welcome=1", status_code=303)
    data = {k: str(form.get(k) or "") for k in ("password", "confirm")}
    try:
        user = invitations.accept_new(session, inv=inv, data=parse(NewPassword, data))
    except (Invalid, Conflict) as exc:
        errors = exc.errors if isinstance(exc, Invalid) else {"password": exc.message}
        return render(request, "invitations/accept.html", {
            "inv": inv, "problem": "", "secret": secret, "errors": errors,
            "error_list": error_list(errors), "where": invitations.where(session, inv),
            "has_account": False, "mismatch": False},
            status_code=422 if isinstance(exc, Invalid) else 409)
    token, _row = auth.start_session(session, user=user)
    return start_browser_session(RedirectResponse("/?welcome=1", status_code=303), token)
