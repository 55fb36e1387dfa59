"""Sign-in and sign-out pages."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.config import get_settings
from imroc.db import SessionDep, write_session
from imroc.deps import (
    KEPT_COOKIE,
    SESSION_COOKIE,
    CurrentPrincipal,
    OptionalPrincipal,
)
from imroc.errors import Invalid, NotSignedIn, TooManyAttempts
from imroc.services import auth, kept_forms, oidc
from imroc.templating import render
from imroc.web.cookies import safe_next, start_browser_session
from imroc.web.forms import Form, error_list
from imroc.web.routing import Router

router = Router()


# Fields a person did not type (the version read, the place in a list): sent, not shown.
HIDDEN_FIELDS = frozenset({"version", "next", "challenge_ids"})


def label_of(name: str) -> str:
    """A form field's name in words, for showing back what was sent: `rationale_3` is
    "Challenge 3: rationale"."""
    words, _, number = name.rpartition("_")
    if words and number.isdigit():
        return f"Challenge {number}: {words.replace('_', ' ')}"
    return name.replace("-", " ").replace("_", " ").strip().capitalize()


def _sso_offer() -> dict:
    settings = get_settings()
    return {"sso_label": settings.oidc_label if settings.oidc_enabled else None}


@router.get("/sign-in")
def sign_in_page(request: Request, principal: OptionalPrincipal,
                 next: str = "/",  # noqa: A002  (the query parameter is `next`)
                 ended: str | None = None, reset: bool = False) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "auth/sign_in.html", {
        "next": safe_next(next), "values": {}, "ended": ended, "reset": reset,
        "idle_minutes": get_settings().session_idle_minutes, **_sso_offer()})


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
            return start_browser_session(RedirectResponse(target, status_code=303), token)
    return render(request, "auth/sign_in.html",
                  {"next": target, "values": {"email": email}, "errors": errors,
                   "ended": "kept" if target == "/kept-form" else None,
                   "idle_minutes": get_settings().session_idle_minutes, **_sso_offer(),
                   "error_list": error_list(errors)}, status_code=status, headers=headers)


@router.get("/kept-form")
def kept_form(request: Request, principal: CurrentPrincipal) -> Response:
    """What the person sent after their session lapsed, to check and send again."""
    with write_session() as writer:
        row = kept_forms.take(writer, secret=request.cookies.get(KEPT_COOKIE),
                              user_id=principal.user.id)
    pairs = kept_forms.pairs_of(row) if row else []
    response = render(request, "auth/kept_form.html", {
        "kept": row, "pairs": pairs,
        "shown": [(label_of(k), v) for k, v in pairs if v.strip() and k not in HIDDEN_FIELDS],
    })
    response.delete_cookie(KEPT_COOKIE, path="/")
    return response


@router.post("/session/keep-alive")
def keep_alive(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Keeps the session going: the answer to the warning that it is about to end."""
    row = getattr(request.state, "auth_session", None)
    if row is not None:
        auth.touch(session, session_id=row.id)
    return Response(status_code=204)


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    row = getattr(request.state, "auth_session", None)
    target = "/sign-in"
    if row is not None:
        via_sso = row.via_sso
        auth.sign_out(session, row=row)
        if via_sso and get_settings().oidc_enabled:
            # The provider ends its own session too, then sends the browser back here.
            target = oidc.end_session_url() or target
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
