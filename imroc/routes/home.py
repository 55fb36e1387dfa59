"""The start page, the framework page, health checks and the API documentation page."""

import logging

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from imroc import migrations_state
from imroc.db import SessionDep, get_engine, write_session
from imroc.deps import OptionalPrincipal
from imroc.services import discussion, frameworks, health, learning_sets, oversight, sites
from imroc.templating import render
from imroc.web.routing import Router

log = logging.getLogger("imroc.health")

router = Router()


@router.get("/")
def home(request: Request, session: SessionDep, principal: OptionalPrincipal,
         welcome: bool = False) -> Response:
    if principal is None:
        return RedirectResponse("/sign-in", status_code=303)
    my_sites = sites.list_sites(session, principal=principal)
    my_sets = learning_sets.list_learning_sets(session, principal=principal)
    return render(request, "home.html", {
        "sites": my_sites, "learning_sets": my_sets, "welcome": welcome,
        "discussion_sets": discussion.discussion_sets(session, principal=principal),
        "task_groups": task_groups(oversight.all_tasks(session, principal))})


# The home page's to-do, in groups; each group shows its first items and how many more.
GROUPS = [
    ("Your ratings and actions", {"rate", "action_due", "values_due"}),
    ("Your steering group", {"not_rated_yet", "agree_consensus", "stage_step", "review_due",
                             "action_overdue"}),
    ("Your learning sets", {"meeting", "feedback_due"}),
    ("Across the programme", {"stalled_cycle", "missing_voice", "consultancy_over"}),
]
SHOWN = 10


def task_groups(tasks: list) -> list[dict]:
    out = []
    for title, kinds in GROUPS:
        items = [t for t in tasks if t.kind in kinds]
        if items:
            out.append({"title": title, "items": items[:SHOWN], "more": len(items) - SHOWN})
    return out


@router.get("/framework")
def framework_page(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    """The ten challenges and the scale: public, so anyone can read what is being rated."""
    fw = frameworks.document(session, frameworks.current(session))
    return render(request, "framework/show.html", {"framework": fw})


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz() -> Response:
    """Ready when the database answers, takes a committed write and is at the latest
    migration."""
    try:
        with get_engine().connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # noqa: BLE001 - any database failure means "not ready"
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__},
                            status_code=503, headers={"Retry-After": "30"})
    head = migrations_state.head_revision()
    if current != head:
        return JSONResponse({"status": "unavailable", "reason": "migrations not at head",
                             "current": current, "head": head}, status_code=503)
    try:
        with write_session() as writer:
            health.beat(writer)
    except Exception as exc:  # noqa: BLE001 - any failure to write means "not ready"
        log.error("readiness: the database cannot be written: %s", exc)
        return JSONResponse({"status": "unavailable", "reason": "the database cannot be written",
                             "cause": type(exc).__name__}, status_code=503,
                            headers={"Retry-After": "30"})
    return JSONResponse({"status": "ok", "revision": current})


@router.get("/docs", include_in_schema=False)
def api_docs(request: Request, _principal: OptionalPrincipal) -> Response:
    """The API's documentation; the header names whoever is signed in."""
    return render(request, "docs.html", {})
