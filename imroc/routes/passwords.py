"""Forgotten passwords: asking for a link, and choosing a new password with it."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask

from imroc.db import SessionDep
from imroc.deps import OptionalPrincipal
from imroc.errors import Invalid, TooManyAttempts
from imroc.models.user import NewPassword
from imroc.services import mail, passwords
from imroc.templating import render
from imroc.validation import parse
from imroc.web.forms import Form, error_list
from imroc.web.routing import Router

router = Router()


@router.get("/forgot-password")
def forgot_page(request: Request, _principal: OptionalPrincipal) -> Response:
    return render(request, "auth/forgot.html", {"values": {}})


@router.post("/forgot-password")
def forgot(request: Request, session: SessionDep, form: Form) -> Response:
    """The same answer for every address; the message goes after the answer."""
    email = str(form.get("email") or "").strip()[:254]
    if not email:
        errors = {"email": "Enter your email address"}
        return render(request, "auth/forgot.html", {
            "values": {}, "errors": errors, "error_list": error_list(errors)}, status_code=422)
    try:
        mail_id = passwords.request_reset(session, email=email, client=_client(request))
    except TooManyAttempts as exc:
        errors = {"email": exc.message}
        return render(request, "auth/forgot.html", {
            "values": {"email": email}, "errors": errors, "error_list": error_list(errors)},
            status_code=429, headers={"Retry-After": str(exc.retry_after)})
    response = render(request, "auth/forgot_sent.html", {"email": email})
    if mail_id is not None:
        response.background = BackgroundTask(mail.deliver, ids=[mail_id])
    return response


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/reset-password/{secret}")
def reset_page(request: Request, session: SessionDep, secret: str,
               _principal: OptionalPrincipal) -> Response:
    found = passwords.find_reset(session, secret=secret)
    return render(request, "auth/reset.html", {"valid": found is not None, "secret": secret},
                  status_code=200 if found else 404)


@router.post("/reset-password/{secret}")
def reset(request: Request, session: SessionDep, secret: str, form: Form) -> Response:
    data = {k: str(form.get(k) or "") for k in ("password", "confirm")}
    try:
        user = passwords.reset_password(session, secret=secret, data=parse(NewPassword, data))
    except Invalid as exc:
        return render(request, "auth/reset.html", {
            "valid": True, "secret": secret, "errors": exc.errors,
            "error_list": error_list(exc.errors)}, status_code=422)
    if user is None:
        return render(request, "auth/reset.html", {"valid": False, "secret": secret},
                      status_code=404)
    return RedirectResponse("/sign-in?reset=1", status_code=303)
