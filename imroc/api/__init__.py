"""JSON API v1: thin handlers over the same services as the pages. Bearer tokens only."""

from fastapi import FastAPI

from imroc.api import (
    actions,
    assessments,
    auth,
    changes,
    consultancy,
    cycles,
    discussion,
    evidence,
    framework,
    invitations,
    learning_sets,
    measures,
    notifications,
    progress_scores,
    reports,
    search,
    sites,
    users,
)

ERRORS = {400: {"description": "The request body could not be read"},
          401: {"description": "Not signed in"}, 403: {"description": "Not allowed"},
          404: {"description": "Not found, or not yours to see"},
          409: {"description": "Conflict or wrong stage"}, 422: {"description": "Invalid input"},
          429: {"description": "Too many attempts"}}

# Each area's router is included in the app itself (see imroc/routes/__init__.py).
ROUTERS = [module.router for module in (
    auth, framework, sites, consultancy, invitations, learning_sets, cycles, assessments,
    actions, evidence, progress_scores, reports, measures, notifications, users, discussion,
    changes, search)]

from imroc.api import data  # noqa: E402  (exports and imports)

ROUTERS.append(data.router)


def include(app: FastAPI) -> None:
    """Every operation of the JSON API, under /api/v1."""
    for router in ROUTERS:
        app.include_router(router, prefix="/api/v1", responses=ERRORS)
