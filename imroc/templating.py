"""The one Jinja2 environment, its filters, and rendering a page or its htmx fragment."""

import hashlib
import json
import secrets
from collections import OrderedDict
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import Any

import plotly
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader
from markupsafe import Markup, escape

from imroc import periods
from imroc.clock import UK
from imroc.config import ROOT, get_settings
from imroc.db import SAFE_METHODS
from imroc.deps import ANON_COOKIE, CSRF_FIELD, anon_csrf_token, expected_csrf
from imroc.models.progress_score import PROGRESS_LEVELS, level_name, score_text
from imroc.models.search import SEARCH_LABEL
from imroc.models.user import PERSPECTIVE_LABELS, ROLE_LABELS, nobody
from imroc.services import notifications, objectives
from imroc.spc import icons as spc_icons
from imroc.validation import DATE_LABELS
from imroc.web.forms import date_parts

STATIC_DIR = ROOT / "static"
# plotly.js is served from the pinned plotly package rather than copied into the repository.
PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
PLOTLY_URL = "vendor/plotly/"
TEMPLATE_DIR = ROOT / "templates"


def uk_date(value: date | datetime | None) -> str:
    """A date as people in the UK write it: 26 November 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return f"{value.day} {value:%B %Y}"


def uk_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(UK)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}".replace(" at 0", " at 0")


def number(value: float | None) -> str:
    """A measured value for reading: whole numbers plainly, others to two decimals."""
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


def unit_suffix(unit: str) -> str:
    """What follows a number: "%" directly, any other unit after a space."""
    return "" if not unit else unit if unit == "%" else f" {unit}"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """A fingerprinted URL for a static file, so it can be cached as immutable."""
    file = PLOTLY_DIR / path.removeprefix(PLOTLY_URL) if path.startswith(PLOTLY_URL) \
        else STATIC_DIR / path
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


_MEMO: "OrderedDict[tuple[str, str], Markup]" = OrderedDict()
_MEMO_LOCK = Lock()
MEMO_SIZE = 2048


def _plain(value: Any) -> Any:
    """Parameters as plain JSON data; markup stays distinct from text that will be escaped."""
    if isinstance(value, Markup):
        return {"markup": str(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot key on {type(value).__name__}")


def memo(macro: Any, params: dict[str, Any]) -> Markup:
    """A component macro's output, kept per exact parameters (the NHS header is ~20% of a page).

    The output depends on nothing but the parameters, so a kept copy is never out of date.
    """
    try:
        key = (macro.name, json.dumps(_plain(params), sort_keys=True))
    except TypeError:
        return Markup(macro(params))
    with _MEMO_LOCK:
        found = _MEMO.get(key)
        if found is not None:
            _MEMO.move_to_end(key)
            return found
    html = Markup(macro(params))
    with _MEMO_LOCK:
        _MEMO[key] = html
        if len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return html


def progress_words(value: float | None) -> str:
    """A progress score with its step's name ("3.5 – Clear improvement"); empty for none."""
    return f"{score_text(value)} – {level_name(value)}" if value is not None else ""


def _build_env() -> Environment:
    # autoescape=True for every template: the NHS macros are .jinja files, which a
    # file-extension rule would leave unescaped.
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATE_DIR), PackageLoader("nhsuk_frontend_jinja")]),
        autoescape=True,
        undefined=ChainableUndefined,  # the NHS macros rely on it
        trim_blocks=True,
        lstrip_blocks=True,
        # Checking every template file's time on each use cost about 30 stat calls a page;
        # templates change only with a new release, except while developing.
        auto_reload=get_settings().env == "dev",
    )
    env.filters["ukdate"] = uk_date
    env.filters["ukdatetime"] = uk_datetime
    env.filters["period"] = periods.label
    env.filters["number"] = number
    env.filters["unit"] = unit_suffix
    env.globals["static_url"] = static_url
    env.globals["variation_svg"] = spc_icons.variation_svg
    env.globals["variation_text"] = spc_icons.variation_text
    env.globals["assurance_svg"] = spc_icons.assurance_svg
    env.globals["memo"] = memo
    env.globals["search_label"] = SEARCH_LABEL
    env.globals["perspective_labels"] = {k.value: v for k, v in PERSPECTIVE_LABELS.items()}
    env.globals["role_labels"] = ROLE_LABELS
    env.globals["nobody"] = nobody
    env.globals["date_labels"] = DATE_LABELS
    env.globals["date_parts"] = date_parts
    env.globals["attainments"] = objectives.ATTAINMENTS
    env.globals["attainment_labels"] = objectives.LABELS
    env.globals["tag_colours"] = objectives.TAG_COLOURS
    env.filters["progress"] = progress_words
    env.globals["progress_levels"] = sorted(PROGRESS_LEVELS.items())
    return env


env = _build_env()


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def csrf_input(token: str) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


def _unread(request: Request, principal) -> int:
    """The count of unread notifications in the header: as read with the person at the start
    of a request that changes nothing, and afresh after a change (which may have read some)."""
    if request.method in SAFE_METHODS and hasattr(request.state, "unread"):
        return request.state.unread
    return notifications.unread_count(principal.user.id)


def session_timeout() -> dict[str, int]:
    """When a signed-in page warns that the session is about to end. A page's own request
    refreshes the session only when the last refresh is a minute old (services.auth), so
    the page counts the limit from a minute before it was drawn."""
    settings = get_settings()
    idle = settings.session_idle_minutes * 60
    limit = max(idle - 60, 30)
    return {"idle_seconds": idle, "limit_seconds": limit,
            "warn_seconds": min(settings.session_warning_seconds, limit // 2)}


def page_context(request: Request, context: dict[str, Any] | None = None
                 ) -> tuple[dict[str, Any], str | None]:
    """Everything a page is rendered with, and the anonymous visitor id to set when a visitor
    without one needs a CSRF token."""
    principal = getattr(request.state, "principal", None)
    new_anon = None
    token = expected_csrf(request)
    if token is None:
        new_anon = secrets.token_urlsafe(24)
        token = anon_csrf_token(new_anon)
    ctx = {
        "request": request,
        "principal": principal,
        "csrf_token": token,
        "csrf_input": csrf_input(token),
        "cspNonce": getattr(request.state, "csp_nonce", ""),
        "assetPath": "/static/vendor/nhsuk-frontend/assets",
        "current_path": request.url.path,
        "session_timeout": session_timeout() if principal is not None else None,
        "unread": _unread(request, principal) if principal is not None and not is_htmx(request) else 0,
        **(context or {}),
    }
    return ctx, new_anon


def html_response(request: Request, content: str | bytes, *, new_anon: str | None = None,
                  status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page as sent: never cached, varying with htmx and the person."""
    response = HTMLResponse(content, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request, Cookie"
    response.headers["Cache-Control"] = "no-store"
    if new_anon:
        response.set_cookie(ANON_COOKIE, new_anon, httponly=True, samesite="strict",
                            secure=get_settings().cookie_secure, path="/")
    return response


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    fragment: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render the page, or only its fragment for an htmx request (Vary: HX-Request)."""
    ctx, new_anon = page_context(request, context)
    name = fragment if fragment and is_htmx(request) else template
    html = env.get_template(name).render(ctx)
    return html_response(request, html, new_anon=new_anon, status_code=status_code,
                         headers=headers)
