"""Sign-in and sign-out pages."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from imroc.config import get_settings
from imroc.db import SessionDep
from imroc.deps import ANON_COOKIE, SESSION_COOKIE, CurrentPrincipal, OptionalPrincipal
from imroc.errors import Invalid, NotSignedIn, TooManyAttempts
from imroc.services import auth
from imroc.templating import render
from imroc.web.forms import Form, error_list

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only follow a local path after sign-in (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/sign-in")
def sign_in_page(request: Request, principal: OptionalPrincipal,
                 next: str = "/") -> Response:  # noqa: A002  (the query parameter is `next`)
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "auth/sign_in.html", {"next": safe_next(next), "values": {}})


@router.post("/sign-in")
def sign_in(request: Request, session: SessionDep, form: Form) -> Response:
    email = str(form.get("email") or "")[:254]
    password = str(form.get("password") or "")[:200]
    target = safe_next(str(form.get("next") or "/"))
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    status = 422
    headers = None
    if not errors:
        try:
            token, _row, _user = auth.sign_in(session, email=email, password=password,
                                              client=request.client.host if request.client else None)
        except Invalid as exc:
            errors = exc.errors
        except NotSignedIn as exc:
            errors = {"email": exc.message}
            status = 401
        except TooManyAttempts as exc:
            errors = {"email": exc.message}
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        else:
            response = RedirectResponse(target, status_code=303)
            settings = get_settings()
            response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                                secure=settings.cookie_secure, path="/",
                                max_age=settings.session_absolute_hours * 3600)
            response.delete_cookie(ANON_COOKIE, path="/")
            return response
    return render(request, "auth/sign_in.html",
                  {"next": target, "values": {"email": email}, "errors": errors,
                   "error_list": error_list(errors)}, status_code=status, headers=headers)


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    row = getattr(request.state, "auth_session", None)
    if row is not None:
        auth.sign_out(session, row=row)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
