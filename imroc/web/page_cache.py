"""Dashboard pages kept per data version, so a page nobody changed is not rendered again.

A kept page is two things: its body (the dashboard itself, the same for everyone who may see
it) and the frame around it (header, navigation, title: the same for one person on one
page). Both are kept for one data version; what differs on every request (the CSP nonce) and
the person's CSRF token are put into the frame as it is sent.
"""

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from threading import Lock
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel

from imroc import clock
from imroc.services.access import Principal
from imroc.services.dashboards import aggregates as dashboards
from imroc.templating import csrf_input, env, html_response, is_htmx, page_context, render

# Stand-ins rendered into a kept frame, replaced as it is sent. Random per process, so no
# text a person types can contain them.
NONCE, CSRF, BODY = (f"k{secrets.token_hex(16)}" for _ in range(3))


@dataclass(frozen=True)
class Body:
    html: Markup
    data: bytes  # as sent (UTF-8), encoded once
    has_charts: bool


class BodyCache:
    """Rendered dashboard bodies, one per page and filters, and the frames around them, each
    valid for one data version.

    The data version is the newest audit event's id and every write is audited, so a body is
    never served after the data under it has changed; the app still keeps no state that a
    request depends on. Only the newest version of each page is kept (older ones can never
    be asked for again), within a bound on entries and characters.
    """

    def __init__(self, entries: int = 256, chars: int = 32_000_000) -> None:
        self._items: OrderedDict[tuple, tuple[tuple, Any, int]] = OrderedDict()
        self._chars = 0
        self._lock = Lock()
        self.max_entries, self.max_chars = entries, chars

    def get(self, key: tuple, version: tuple, build: Callable[[], tuple[Any, int]]) -> Any:
        """The value for `key` at `version`, built (with its size) if need be."""
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] == version:
                self._items.move_to_end(key)
                return found[1]
        value, size = build()
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._chars -= old[2]
            self._items[key] = (version, value, size)
            self._chars += size
            while self._items and (len(self._items) > self.max_entries
                                   or self._chars > self.max_chars):
                _, (_, _, dropped) = self._items.popitem(last=False)
                self._chars -= dropped
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._chars = 0
        if self is BODIES:
            FRAMES.clear()


BODIES = BodyCache()
FRAMES = BodyCache(entries=2048, chars=16_000_000)


def kept_body(session: Session, key: tuple, template: str, build: Callable[[], dict]) -> Body:
    """A dashboard's body for this data version (and day: overdue actions depend on it)."""
    return BODIES.get(key, _version(session), lambda: _body(template, build))


def kept_page(request: Request, session: Session, *, key: tuple, body_template: str,
              build: Callable[[], dict], page_template: str,
              page: dict[str, Any] | None = None) -> HTMLResponse:
    """A dashboard page: its kept body in its kept frame (each built when the data changed).
    The page is rendered with `page`, `body` and `has_charts`."""
    version = _version(session)
    body = BODIES.get(key, version, lambda: _body(body_template, build))
    context = {**(page or {}), "has_charts": body.has_charts}
    frame = _frame(request, page_template, context, version)
    if frame is None:
        return render(request, page_template, {**context, "body": body.html})
    prefix, suffix = frame
    nonce, token = request.state.csp_nonce, request.state.session_csrf
    return html_response(request, b"".join((
        prefix.replace(NONCE, nonce).replace(CSRF, token).encode(), body.data,
        suffix.replace(NONCE, nonce).replace(CSRF, token).encode())))


def _version(session: Session) -> tuple:
    return dashboards.data_version(session), clock.today()


def _body(template: str, build: Callable[[], dict]) -> tuple[Body, int]:
    context = build()
    html = Markup(env.get_template(template).render(context))
    return Body(html, html.encode(), bool(context["charts"])), len(html)


def _frame(request: Request, template: str, context: dict[str, Any],
           version: tuple) -> tuple[str, str] | None:
    """The page around the body, for this person, page and data version; None when it cannot
    be kept (no one signed in, an htmx request, or something in it we cannot compare)."""
    principal = getattr(request.state, "principal", None)
    token = getattr(request.state, "session_csrf", None)
    if principal is None or not token or is_htmx(request) \
            or not getattr(request.state, "csp_nonce", ""):
        return None
    ctx, _ = page_context(request, {**context, "body": Markup(BODY)})
    try:
        key = (template, request.url.path, fingerprint(context), person(principal),
               fingerprint(ctx["unread"]), fingerprint(ctx["session_timeout"]))
    except TypeError:
        return None

    def build() -> tuple[tuple[str, str] | None, int]:
        ctx.update(cspNonce=NONCE, csrf_token=CSRF, csrf_input=csrf_input(CSRF))
        html = env.get_template(template).render(ctx)
        parts = html.split(BODY)
        if len(parts) != 2:
            return None, 0
        return (parts[0], parts[1]), len(html)

    return FRAMES.get(key, version, build)


def person(principal: Principal) -> tuple:
    """Everything about the person that a page's frame can show (name, roles, places)."""
    return (fingerprint(principal.user), fingerprint(principal.memberships),
            tuple(sorted(principal.facilitated_set_ids)))


_SIMPLE = (str, int, float, bool, Decimal, date, datetime, Enum, UUID, type(None))


def fingerprint(value: Any) -> Any:
    """A value that is equal exactly when `value` would render the same: plain values with
    their type, containers element by element, rows by every column. Anything else is
    refused (TypeError), and the page is then rendered afresh."""
    if isinstance(value, _SIMPLE):
        return type(value).__name__, value
    if isinstance(value, list | tuple):
        return tuple(fingerprint(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), fingerprint(v)) for k, v in value.items()))
    if isinstance(value, SQLModel) and hasattr(type(value), "__table__"):
        return type(value).__name__, tuple(
            fingerprint(getattr(value, attr.key)) for attr in inspect(type(value)).column_attrs)
    raise TypeError(f"cannot compare {type(value).__name__}")
