"""Request dependencies: who is asking, CSRF, and loaders that 404 or 403."""

import hmac
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from imroc.config import get_settings, is_api
from imroc.db import SAFE_METHODS, SessionDep, lookup_session, write_session
from imroc.errors import Forbidden, NotSignedIn, SessionEnded
from imroc.models import Action, Cycle, Evidence, LearningSet, Measure, Site
from imroc.security import tokens_match
from imroc.services import actions, auth, cycles, evidence, kept_forms, learning_sets, sites
from imroc.services.access import Principal
from imroc.services.data_io import imports
from imroc.services.measures import definitions as measures
from imroc.validation import MAX_INT

# Path ids beyond 32 bits are refused (422) before they reach the database.
PathId = Annotated[int, Path(ge=1, le=MAX_INT)]
SESSION_COOKIE = "imroc_session"
ANON_COOKIE = "imroc_anon"
KEPT_COOKIE = "imroc_kept"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token else None


def person_of(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in person (browser session or API token), or None; read once a request."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    # The API takes bearer tokens only, so a browser's cookie can never drive it (no CSRF).
    if is_api(request.url.path):
        token, kind = _bearer(request), auth.API
    else:
        token, kind = request.cookies.get(SESSION_COOKIE), auth.BROWSER
    if request.method in SAFE_METHODS:
        found = auth.resolve_principal(session, token=token, kind=kind)
    else:
        found = _read_apart(session, token=token, kind=kind)
    principal = None
    if found:
        principal, row, request.state.unread = found
        request.state.auth_session = row
        # Kept as plain text: a page about a failed write is rendered after the rollback
        # has expired every row of the request's session.
        request.state.session_csrf = row.csrf_token if row.kind == auth.BROWSER else None
        if auth.needs_touch(row):
            if request.method in SAFE_METHODS:
                with write_session() as writer:
                    auth.touch(writer, session_id=row.id)
            else:
                # This request's session is already the writer: a second one would wait
                # for the lock this one holds.
                auth.touch(session, session_id=row.id)
    elif token and kind == auth.BROWSER:
        # Said on the sign-in page: "you were signed out after 60 minutes without activity".
        request.state.session_ended = auth.ended_by_time(session, token=token)
    request.state.principal = principal
    return principal


def _read_apart(session: SessionDep, *, token: str | None, kind: str):
    """Who is asking, for a request that writes, read on its own before the request's
    transaction begins: on SQLite that transaction holds the one write lock from its first
    statement, so it starts with the work itself. The rows read are then placed in the
    request's session as they are (no statement), as if it had read them."""
    with lookup_session() as lookup:
        found = auth.resolve_principal(lookup, token=token, kind=kind)
    if found is None:
        return None
    principal, row, unread = found
    principal = Principal(
        user=session.merge(principal.user, load=False),
        memberships={k: session.merge(m, load=False) for k, m in principal.memberships.items()},
        facilitated_set_ids=principal.facilitated_set_ids)
    return principal, session.merge(row, load=False), unread


async def get_principal_optional(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in person, or None. Reading them waits for the database, in the thread
    pool; a loader (SiteDep...) that came first in a route's arguments has read them already,
    in its own turn there, and then this takes none (each turn costs about a small query)."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    return await run_in_threadpool(person_of, request, session)


def signed_in(request: Request, session: SessionDep) -> Principal:
    """The signed-in person, or "sign in": for loaders, which run in the thread pool."""
    principal = person_of(request, session)
    if principal is None:
        raise NotSignedIn("Sign in to continue")
    return principal


async def get_principal(principal: Annotated[Principal | None,
                                             Depends(get_principal_optional)]) -> Principal:
    """The signed-in person, or "sign in" (no I/O: not worth a turn in the thread pool)."""
    if principal is None:
        raise NotSignedIn("Sign in to continue")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(get_principal_optional)]


def anon_csrf_token(anon_id: str) -> str:
    """The CSRF token for a visitor who has not signed in yet, bound to their anon cookie."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"anon:{anon_id}".encode(), "sha256").hexdigest()


def expected_csrf(request: Request) -> str | None:
    if getattr(request.state, "session_csrf", None):
        return request.state.session_csrf
    anon = request.cookies.get(ANON_COOKIE) or getattr(request.state, "anon_id", None)
    return anon_csrf_token(anon) if anon else None


async def csrf_protect(request: Request, session: SessionDep) -> None:
    """Refuse a state change from a browser without this session's CSRF token. A form sent
    from this service's page after its session lapsed is kept for its sender, who is asked
    to sign in again (SessionEnded), instead of being refused and lost.

    Only a state change asks who is signed in here: a page that needs a person asks through
    its own dependency, and one that does not (/healthz, /readyz) never reads the session."""
    if request.method not in UNSAFE:
        return
    _principal = await get_principal_optional(request, session)
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Forbidden("This request came from another website and was refused")
    sent = request.headers.get(CSRF_HEADER)
    form = await request.form() if "form" in request.headers.get("content-type", "") else None
    if not sent and form is not None:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if _principal is None and cookie and not is_api(request.url.path):
        lapsed = await run_in_threadpool(auth.stored_session, session, token=cookie,
                                         kind=auth.BROWSER)
        if lapsed is not None and tokens_match(sent, lapsed.csrf_token):
            kept = None
            if form is not None and not any(isinstance(v, UploadFile) for v in form.values()):
                pairs = [(k, v) for k, v in form.multi_items() if k != CSRF_FIELD]
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                kept = await run_in_threadpool(kept_forms.keep, session, lapsed=lapsed,
                                               sent_csrf=sent, path=target, pairs=pairs)
            raise SessionEnded("Your session ended, so this has not been saved yet",
                               kept=kept)
    if not tokens_match(sent, expected_csrf(request)):
        raise Forbidden("Your form has expired. Go back, refresh the page and try again.")


# The loaders read the person themselves (signed_in), in the same turn in the thread pool as
# the thing they load: a route that names its loader before CurrentPrincipal then takes one
# turn for both.
def load_site(site_id: PathId, request: Request, session: SessionDep) -> Site:
    """The site in the path, 404 when unknown or not visible to this person."""
    return sites.get_site(session, site_id=site_id, principal=signed_in(request, session))


def load_learning_set(learning_set_id: PathId, request: Request,
                      session: SessionDep) -> LearningSet:
    return learning_sets.get_learning_set(session, learning_set_id=learning_set_id,
                                          principal=signed_in(request, session))


SiteDep = Annotated[Site, Depends(load_site)]
LearningSetDep = Annotated[LearningSet, Depends(load_learning_set)]


def load_cycle(cycle_id: PathId, request: Request, session: SessionDep) -> tuple[Cycle, Site]:
    """The cycle in the path and its site; 404 when unknown or not visible."""
    return cycles.get_cycle(session, cycle_id=cycle_id, principal=signed_in(request, session))


def load_action(action_id: PathId, request: Request,
                session: SessionDep) -> tuple[Action, Cycle, Site]:
    """The action in the path with its cycle and site; 404 when unknown or not visible."""
    return actions.get_action(session, action_id=action_id,
                              principal=signed_in(request, session))


def load_evidence(evidence_id: PathId, session: SessionDep,
                  principal: CurrentPrincipal) -> tuple[Evidence, Cycle, Site]:
    """The evidence in the path with its cycle and site; 404 when unknown or not visible."""
    return evidence.get_evidence(session, evidence_id=evidence_id, principal=principal)


CycleDep = Annotated[tuple[Cycle, Site], Depends(load_cycle)]
ActionDep = Annotated[tuple[Action, Cycle, Site], Depends(load_action)]
EvidenceDep = Annotated[tuple[Evidence, Cycle, Site], Depends(load_evidence)]


def load_measure(measure_id: PathId, request: Request, session: SessionDep) -> Measure:
    """The measure in the path, 404 when unknown or not visible to this person."""
    return measures.get_measure(session, measure_id=measure_id,
                                principal=signed_in(request, session))


MeasureDep = Annotated[Measure, Depends(load_measure)]


def load_site_measure(site: SiteDep, measure: MeasureDep, session: SessionDep) -> Measure:
    """The measure in the path as one of the site's (core, or local to it); else 404."""
    measures.for_site(session, site=site, measure=measure)
    return measure


SiteMeasureDep = Annotated[Measure, Depends(load_site_measure)]


def require_import(principal: CurrentPrincipal) -> None:
    """Checked before an upload is read, so no one else learns anything from a bad file."""
    imports.check_permission(principal)
