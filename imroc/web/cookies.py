"""The session cookie, set the same way wherever someone is signed in."""

from fastapi.responses import Response

from imroc.config import get_settings
from imroc.deps import ANON_COOKIE, SESSION_COOKIE


def start_browser_session(response: Response, token: str) -> Response:
    """Give the browser its new session (the visitor's anonymous cookie goes)."""
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=settings.cookie_secure, path="/",
                        max_age=settings.session_absolute_hours * 3600)
    response.delete_cookie(ANON_COOKIE, path="/")
    return response


def safe_next(target: str | None) -> str:
    """Only follow a local path after sign-in (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
