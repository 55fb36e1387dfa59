"""Turning domain errors into JSON for the API, or a page or redirect for people."""

import logging
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from imroc.config import get_settings, is_api
from imroc.deps import KEPT_COOKIE
from imroc.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotSignedIn,
    SessionEnded,
    TooManyAttempts,
)
from imroc.services.kept_forms import KEEP_FOR
from imroc.templating import render
from imroc.validation import reasons

TITLES = {
    400: "Sorry, there is a problem with your request",
    401: "Sign in to continue",
    403: "You do not have permission to do this",
    404: "Page not found",
    405: "Sorry, there is a problem with your request",
    409: "This has changed since you opened it",
    413: "The file is too large",
    422: "There is a problem with what you entered",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    502: "Sorry, signing in with your organisation did not work",
    503: "Sorry, the service is unavailable",
}
log = logging.getLogger("imroc.errors")


def _detail_list(errors: dict[str, str]) -> list[dict]:
    return [{"loc": ["body", *name.split(".")], "field": name, "msg": msg, "type": "invalid"}
            for name, msg in errors.items()]


def error_page(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    return render(request, "error.html", {"title": TITLES.get(status, TITLES[400]),
                                          "message": message}, status_code=status, headers=headers)


async def domain_error(request: Request, exc: DomainError) -> Response:
    headers = {}
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    if is_api(request.url.path):
        if isinstance(exc, NotSignedIn):
            headers["WWW-Authenticate"] = "Bearer"
        body: dict = {"detail": exc.message}
        if isinstance(exc, Invalid):
            body = {"detail": _detail_list(exc.errors)}
        elif isinstance(exc, Conflict) and exc.current is not None:
            current = exc.current.model_dump(mode="json") if hasattr(exc.current, "model_dump") \
                else exc.current
            body = {"detail": exc.message, "current": current}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)
    if isinstance(exc, NotSignedIn):
        return _sign_in_again(request, exc)
    return error_page(request, exc.status_code, exc.message, headers)


def _sign_in_again(request: Request, exc: NotSignedIn) -> Response:
    """To the sign-in page, then back: to the page asked for, or, for a form that arrived
    after the session lapsed, to what the person sent (kept for them under a cookie)."""
    kept = exc.kept if isinstance(exc, SessionEnded) else None
    if isinstance(exc, SessionEnded):
        page = urlsplit(request.headers.get("referer") or "/")
        back = "/kept-form" if kept else (page.path + (f"?{page.query}" if page.query else ""))
    else:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = f"/sign-in?next={quote(back, safe='')}"
    if kept:
        url += "&ended=kept"
    elif isinstance(exc, SessionEnded) or getattr(request.state, "session_ended", False):
        url += "&ended=1"
    if request.headers.get("hx-request") == "true":
        # htmx would otherwise swap the sign-in page into the part of the page it updates.
        response: Response = Response(status_code=401, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if kept:
        response.set_cookie(KEPT_COOKIE, kept, httponly=True, samesite="lax", path="/",
                            secure=get_settings().cookie_secure,
                            max_age=int(KEEP_FOR.total_seconds()))
    return response


def _body_asks(request: Request) -> dict[str, str] | None:
    """The ASK wording of the route's body model, if it has its own."""
    field = getattr(request.scope.get("route"), "body_field", None)
    model = getattr(getattr(field, "field_info", None), "annotation", None)
    return getattr(model, "ASK", None)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = reasons(exc.errors(), _body_asks(request))
    if is_api(request.url.path):
        return JSONResponse({"detail": _detail_list(errors)}, status_code=422)
    return error_page(request, 422, "; ".join(errors.values()))




def allowed_methods(app, path: str) -> list[str]:
    """Every method any route offers for this path (405 must list them all in Allow)."""
    methods: set[str] = set()
    for route in app.routes:
        contexts = route.effective_route_contexts() \
            if hasattr(route, "effective_route_contexts") else [route]
        for ctx in contexts:
            original = getattr(ctx, "original_route", ctx)
            if getattr(original, "methods", None) and \
                    compile_path(ctx.path)[0].match(path):
                methods |= set(original.methods)
    return sorted(methods)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
    if is_api(request.url.path) or request.url.path.startswith("/static/"):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=headers or None)
    return error_page(request, exc.status_code, str(exc.detail), headers or None)


UNAVAILABLE = ("The service cannot save changes at the moment. Nothing was changed. "
               "Try again in a few minutes.")


# PostgreSQL's codes for "not now": a read-only standby, a full disk, no memory, shutting down.
UNAVAILABLE_STATES = frozenset({"25006", "53100", "53200", "57P01", "57P02", "57P03"})


def _unavailable(exc: DBAPIError) -> bool:
    return isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated \
        or getattr(exc.orig, "sqlstate", None) in UNAVAILABLE_STATES


async def database_unavailable(request: Request, exc: DBAPIError) -> Response:
    """A write the database could not take (read-only, disk full, locked past the timeout,
    connection lost): 503 with a plain message, never a 500; the cause goes to the log.
    Any other database error is a fault of ours and stays a 500."""
    if not _unavailable(exc):
        raise exc
    log.error("database unavailable on %s %s: %s", request.method, request.url.path,
              exc.orig if getattr(exc, "orig", None) is not None else exc)
    headers = {"Retry-After": "30"}
    if is_api(request.url.path):
        return JSONResponse({"detail": UNAVAILABLE}, status_code=503, headers=headers)
    # The rollback expired the rows the request had loaded, the signed-in person's among
    # them: this page is drawn without them (a plain header, as for a visitor).
    request.state.principal = None
    return error_page(request, 503, UNAVAILABLE, headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, database_unavailable)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
