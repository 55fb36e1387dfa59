"""Single sign-on: start at the organisation's OpenID provider, and come back from it."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from imroc.config import get_settings
from imroc.db import SessionDep
from imroc.deps import OptionalPrincipal
from imroc.errors import NotFound, ProviderUnavailable, SignInFailed, SignInRefused
from imroc.services import oidc, sso
from imroc.templating import render
from imroc.web.cookies import safe_next, start_browser_session
from imroc.web.routing import Router

router = Router()
FLOW_COOKIE = "imroc_oidc"
FLOW_PATH = "/sign-in/oidc"
PROBLEMS = (ProviderUnavailable, SignInFailed, SignInRefused)


def _problem(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 400)
    response = render(request, "auth/sso_problem.html", {
        "message": getattr(exc, "message", str(exc)), "status": status,
        "label": get_settings().oidc_label,
        "password_sign_in": get_settings().password_sign_in}, status_code=status)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


def _enabled() -> None:
    if not get_settings().oidc_enabled:
        raise NotFound("Single sign-on is not set up for this service")


@router.get("/sign-in/oidc")
def start(request: Request, principal: OptionalPrincipal,
          next: str = "/") -> Response:  # noqa: A002  (the query parameter is `next`)
    """Send the browser to the provider, keeping state, nonce and PKCE verifier in a signed
    cookie that lasts as long as a sign-in may take."""
    _enabled()
    target = safe_next(next)
    if principal is not None:
        return RedirectResponse(target, status_code=303)
    try:
        url, flow = oidc.begin(target)
    except PROBLEMS as exc:
        return _problem(request, exc)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLOW_COOKIE, oidc.seal(flow), httponly=True, samesite="lax",
                        secure=get_settings().cookie_secure, path=FLOW_PATH,
                        max_age=oidc.FLOW_SECONDS)
    return response


@router.get("/sign-in/oidc/callback")
def callback(request: Request, session: SessionDep) -> Response:
    """The provider's answer. A GET, so the `state` check against the signed cookie is what
    stops another site from completing a sign-in in this browser."""
    _enabled()
    params = {k: v[:2000] for k, v in request.query_params.items()}
    flow = oidc.unseal(request.cookies.get(FLOW_COOKIE))
    try:
        claims = oidc.finish(params, flow)
        token, _row, _user = sso.sign_in(session, claims=claims)
    except PROBLEMS as exc:
        return _problem(request, exc)
    response = start_browser_session(
        RedirectResponse(safe_next(flow.next if flow else "/"), status_code=303), token)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response
