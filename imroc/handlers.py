"""Turning domain errors into JSON for the API, or a page or redirect for people."""

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from imroc.config import is_api
from imroc.errors import Conflict, DomainError, Invalid, NotSignedIn, TooManyAttempts
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
}


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
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)
    return error_page(request, exc.status_code, exc.message, headers)


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


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
